/** The account mails, each in the user's own language (users.locale), queued in the caller's transaction. */
import type { Config } from '../../config.ts';
import type { Queryable } from '../../db/client.ts';
import type { Locale } from '../../lib/format.ts';
import { queueMail } from '../mail/mail.compose.ts';

interface MailUser {
  id: number;
  email: string;
  name: string;
  municipalityCode: number;
  locale: Locale;
}

const contextOf = (config: Config) => ({ publicUrl: config.mail.publicUrl, from: config.mail.from });

/** Tells a user by mail that their password changed, so a change they did not make is noticed. */
export function queuePasswordChangedMail(db: Queryable, config: Config, user: MailUser) {
  return queueMail(db, contextOf(config), {
    kind: 'password-changed',
    to: user.email,
    userId: user.id,
    municipalityCode: user.municipalityCode,
    locale: user.locale,
    data: { name: user.name, link: `${config.mail.publicUrl}/password/forgotten` },
  });
}

/** A link to choose a password: a forgotten password's (`password-reset`) or a new user's (`welcome`). */
export function queuePasswordLinkMail(
  db: Queryable,
  config: Config,
  user: MailUser,
  link: { kind: 'password-reset' | 'welcome'; token: string; minutes: number; municipality?: string },
) {
  return queueMail(db, contextOf(config), {
    kind: link.kind,
    to: user.email,
    userId: user.id,
    municipalityCode: user.municipalityCode,
    locale: user.locale,
    data: {
      name: user.name,
      email: user.email,
      link: `${config.mail.publicUrl}/password/reset?token=${encodeURIComponent(link.token)}`,
      minutes: link.minutes,
      days: Math.round(link.minutes / (24 * 60)),
      loginLink: `${config.mail.publicUrl}/login`,
    },
  });
}

/**
 * A user's e-mail address changed: a notice to the old address (so a change they did not make is
 * noticed) and a short confirmation to the new one.
 */
export async function queueEmailChangedMails(db: Queryable, config: Config, user: MailUser, oldEmail: string) {
  const common = { userId: user.id, municipalityCode: user.municipalityCode, locale: user.locale };
  const data = { name: user.name, oldEmail, newEmail: user.email, loginLink: `${config.mail.publicUrl}/login` };
  await queueMail(db, contextOf(config), { ...common, kind: 'email-changed', to: oldEmail, data });
  await queueMail(db, contextOf(config), { ...common, kind: 'email-confirmed', to: user.email, data });
}
