import type { Config } from '../../config.ts';
import type { Queryable } from '../../db/client.ts';
import type { Locale } from '../../lib/format.ts';
import { queueMail } from '../mail/mail.compose.ts';

/** Tells a user by mail that their password changed, so a change they did not make is noticed. */
export function queuePasswordChangedMail(
  db: Queryable,
  config: Config,
  user: { id: number; email: string; name: string; municipalityCode: number },
  locale: Locale,
) {
  return queueMail(
    db,
    { publicUrl: config.mail.publicUrl, from: config.mail.from },
    {
      kind: 'password-changed',
      to: user.email,
      userId: user.id,
      municipalityCode: user.municipalityCode,
      locale,
      data: { name: user.name, link: `${config.mail.publicUrl}/password/forgotten` },
    },
  );
}
