/**
 * A new user's welcome: an admin creates the user without a password, and the user gets a mail
 * with a single-use link (7 days) to choose one. Until then the stored hash is that of a random
 * secret nobody knows, so no password signs in. Part of the account service (createAccountService
 * spreads these methods in).
 */
import type { Config } from '../../config.ts';
import type { Db, Queryable } from '../../db/client.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import { assertMayWrite } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { newSecret } from '../../lib/secrets.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import { queuePasswordLinkMail } from './accounts.mails.ts';
import { hashPassword } from './accounts.passwords.ts';
import { findUser, type UserRow } from './accounts.repository.ts';
import { tokenHash } from './accounts.reset.ts';
import { insertPasswordReset } from './accounts.resets.repository.ts';

/** A welcome link lives 7 days: a new user may not read their mail the same day. */
const WELCOME_MINUTES = 7 * 24 * 60;

/** The hash of a password nobody knows (256 random bits, thrown away): an account no password opens. */
export const unusablePasswordHash = (config: Config) => hashPassword(newSecret(), config.passwordHash);

/** A welcome link for the user, stored as a hash, and its mail, in the caller's transaction. */
export async function issueWelcomeLink(tx: Queryable, config: Config, user: UserRow): Promise<number> {
  const token = newSecret();
  const resetId = await insertPasswordReset(tx, user.id, {
    tokenHash: tokenHash(token),
    validMinutes: WELCOME_MINUTES,
    purpose: 'welcome',
  });
  await queuePasswordLinkMail(tx, config, user, { kind: 'welcome', token, minutes: WELCOME_MINUTES });
  return resetId;
}

export function welcomeMethods(db: Db, config: Config) {
  return {
    /**
     * An admin sends a user of their municipality a new welcome link (the first was lost, or has
     * expired). The user's password stays as it is until the link is used; audited.
     */
    async sendWelcomeLink(principal: Principal, id: number): Promise<UserRow> {
      const user = await findUser(db, id);
      if (!user) throw notFound('user', id);
      assertMayWrite(principal, 'users', user.municipalityCode);
      if (!user.active) throw new AppError('USER_INACTIVE', 409, 'users.welcome.inactive');
      await db.transaction(async (tx) => {
        const resetId = await issueWelcomeLink(tx, config, user);
        await recordAudit(tx, principal, {
          entity: 'user',
          entityId: id,
          action: 'welcome_link_sent',
          after: { resetId },
        });
      });
      return user;
    },
  };
}
