/**
 * A forgotten password: a link by mail, single use, valid 30 minutes, of which only a hash is kept.
 * Part of the account service (createAccountService spreads these methods in).
 */
import type { Config } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import { leavesCachesAlone } from '../../db/driver-patches.ts';
import { AppError } from '../../lib/errors.ts';
import { type Principal, system } from '../../lib/principal.ts';
import { newSecret, sha256 } from '../../lib/secrets.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import { queuePasswordChangedMail, queuePasswordLinkMail } from './accounts.mails.ts';
import { hashPassword } from './accounts.passwords.ts';
import { endUserSessions, findUser, findUserByEmail, setUserPassword } from './accounts.repository.ts';
import {
  findLivePasswordReset,
  insertPasswordReset,
  type PasswordLinkPurpose,
  recentPasswordResets,
  usePasswordReset,
} from './accounts.resets.repository.ts';

const VALID_MINUTES = 30;
/** At most this many links per user in VALID_MINUTES: asking again and again sends nothing more. */
const MAX_LINKS = 3;

/** The hash kept of a password link's token (forgotten-password and welcome links alike). */
export const tokenHash = (token: string) => sha256(`password-reset:${token}`);

/** The audit trail's actor for what a user does before they are signed in: the user themself. */
const asUser = (u: { id: number; municipalityCode: number; role: Principal['role']; name: string }): Principal => ({
  userId: u.id,
  municipalityCode: u.municipalityCode,
  role: u.role,
  name: u.name,
});

export function passwordResetMethods(db: Db, config: Config) {
  return {
    /**
     * Someone asks for a link for this address. An active user gets one by mail (queued with the
     * link's row, in one transaction, audited); an unknown or inactive address gets nothing, and
     * nothing is stored about it. The route answers before this runs, the same for every address.
     * Returns whether a mail was queued (for the sender to be kicked). The mail is in the user's own
     * language, not the asking browser's.
     */
    async requestPasswordReset(email: string): Promise<boolean> {
      const user = await findUserByEmail(db, email.trim());
      if (!user?.active) return false;
      return db.transaction(async (tx) => {
        leavesCachesAlone(tx);
        if ((await recentPasswordResets(tx, user.id, VALID_MINUTES)) >= MAX_LINKS) {
          await recordAudit(tx, system, {
            entity: 'user',
            entityId: user.id,
            action: 'password_reset_limited',
            after: { municipalityCode: user.municipalityCode },
          });
          return false;
        }
        const token = newSecret();
        const resetId = await insertPasswordReset(tx, user.id, {
          tokenHash: tokenHash(token),
          validMinutes: VALID_MINUTES,
          purpose: 'reset',
        });
        await queuePasswordLinkMail(tx, config, user, { kind: 'password-reset', token, minutes: VALID_MINUTES });
        await recordAudit(tx, system, {
          entity: 'user',
          entityId: user.id,
          action: 'password_reset_requested',
          after: { resetId, municipalityCode: user.municipalityCode },
        });
        return true;
      });
    },

    /**
     * What a still good link is for (the page shows the form, titled for a forgotten password or a
     * welcome), or undefined for a used, expired or unknown one (the page says so).
     */
    async livePasswordLink(token: string): Promise<PasswordLinkPurpose | undefined> {
      return (await findLivePasswordReset(db, tokenHash(token)))?.purpose;
    },

    /**
     * Sets a password through a link: the link (and any other of the user's) is used up, every
     * session of the user ends, nobody is signed in, and the change is audited. A forgotten
     * password's change is told by mail; a welcome link's first password is not a change. A used,
     * expired or unknown link: 400.
     */
    async resetForgottenPassword(token: string, newPassword: string): Promise<PasswordLinkPurpose> {
      const passwordHash = await hashPassword(newPassword, config.passwordHash);
      return db.transaction(async (tx) => {
        const used = await usePasswordReset(tx, tokenHash(token));
        const user = used && (await findUser(tx, used.userId));
        if (!used || !user?.active) throw new AppError('RESET_LINK_INVALID', 400, 'password.reset.invalid');
        await setUserPassword(tx, user.id, passwordHash, false);
        const endedSessions = await endUserSessions(tx, user.id);
        await recordAudit(tx, asUser(user), {
          entity: 'user',
          entityId: user.id,
          action: used.purpose === 'welcome' ? 'welcome_password_set' : 'password_reset',
          after: { endedSessions },
        });
        if (used.purpose === 'reset') await queuePasswordChangedMail(tx, config, user);
        return used.purpose;
      });
    },
  };
}
