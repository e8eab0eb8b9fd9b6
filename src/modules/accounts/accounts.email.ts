/**
 * A user's own e-mail address and language. Part of the account service (createAccountService
 * spreads these methods in).
 */
import { verify } from '@node-rs/argon2';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import type { Locale } from '../../lib/format.ts';
import type { Principal } from '../../lib/principal.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import { assertEmailFree, auditUser } from './accounts.edit.ts';
import { queueEmailChangedMails } from './accounts.mails.ts';
import { countPasswordAttempt, recordFailedAttempt } from './accounts.passwords.ts';
import { findUser, setUserEmail, setUserLocale, uncountLoginAttempt } from './accounts.repository.ts';
import { endUnusedPasswordLinks } from './accounts.resets.repository.ts';

export function emailMethods(db: Db, config: Config) {
  const ownUser = async (principal: Principal) => {
    const user = principal.userId === null ? undefined : await findUser(db, principal.userId);
    if (!user) throw notFound('user', principal.userId ?? 0);
    return user;
  };

  return {
    /**
     * A signed-in user changes their own e-mail address. Their current password is checked and
     * counted as a sign-in is; the new address must be no other user's (in any case of letters).
     * The old address gets a notice, the new one a confirmation, in the user's language; audited.
     */
    async changeOwnEmail(
      principal: Principal,
      input: { newEmail: string; currentPassword: string },
      ip: string,
    ): Promise<void> {
      const user = await ownUser(principal);
      const entityId = String(user.id);
      const attempt = await countPasswordAttempt(db, config, { email: user.email, ip, who: principal, entityId });
      if (!(await verify(user.passwordHash, input.currentPassword))) {
        await recordFailedAttempt(db, principal, {
          entityId,
          action: 'email_change_failed',
          ip,
          reason: 'wrong_password',
        });
        throw new AppError('WRONG_PASSWORD', 422, 'account.password.wrongCurrent', {
          fieldErrors: { currentPassword: ['account.password.wrongCurrent'] },
        });
      }
      await uncountLoginAttempt(db, attempt);
      if (input.newEmail === user.email.toLowerCase()) return;
      await assertEmailFree(db, input.newEmail, user.id);
      await db.transaction(async (tx) => {
        const after = await setUserEmail(tx, user.id, input.newEmail);
        if (!after) throw notFound('user', user.id);
        await recordAudit(tx, principal, {
          entity: 'user',
          entityId: user.id,
          action: 'change_email',
          before: auditUser(user),
          after: auditUser(after),
        });
        // A link mailed to the old address no longer sets the password.
        await endUnusedPasswordLinks(tx, user.id);
        await queueEmailChangedMails(tx, config, after, user.email);
      });
    },

    /** The language of the user's mails: from the language switch or the account page; audited when it changes. */
    async setOwnLocale(principal: Principal, locale: Locale): Promise<void> {
      if (principal.userId === null) return;
      const userId = principal.userId;
      await db.transaction(async (tx) => {
        if (!(await setUserLocale(tx, userId, locale))) return;
        await recordAudit(tx, principal, { entity: 'user', entityId: userId, action: 'set_locale', after: { locale } });
      });
    },
  };
}
