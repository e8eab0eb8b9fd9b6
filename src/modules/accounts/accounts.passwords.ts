/**
 * Passwords: the sign-in limit's count, a user changing their own password, and an admin setting a
 * temporary one. Part of the account service (createAccountService spreads these methods in).
 */
import { hash, verify } from '@node-rs/argon2';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import { leavesCachesAlone } from '../../db/driver-patches.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import { assertMayWrite } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { sha256 } from '../../lib/secrets.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import { queuePasswordChangedMail } from './accounts.mails.ts';
import {
  countLoginAttempt,
  endOtherSessions,
  endUserSessions,
  findUser,
  forgetOldLoginFailures,
  lockLoginCounts,
  recentLoginFailures,
  setUserPassword,
  uncountLoginAttempt,
} from './accounts.repository.ts';

/** argon2id (the library's default algorithm). */
const ARGON2ID = 2;
const FAILURE_WINDOW_MINUTES = 15;
/** Old attempts deleted at each new one (see countPasswordAttempt). */
const SWEEP_OLD_FAILURES = 100;

/** A new password's hash, at the cost the configuration sets (each hash keeps its own cost). */
export const hashPassword = (password: string, cost: Config['passwordHash']) =>
  hash(password, { algorithm: ARGON2ID, memoryCost: cost.memoryKib, timeCost: cost.passes });

/**
 * What the sign-in limit counts an attempt against: a hash of the e-mail as typed (trimmed, in
 * lower case), the same for an account's e-mail and for one that is no one's, so the limit answers
 * alike for both and the e-mail itself is never stored. Migration 0013 hashes the same way.
 */
const loginAccountKey = (email: string) => sha256(`login:${email.trim().toLowerCase()}`);

/**
 * Counts an attempt to check a password (signing in, or the current password when changing it)
 * against the account and the address, under a lock on both counts, and refuses it if either is at
 * its limit: however many attempts arrive at once, no more passwords than the limit are checked in
 * the window. Returns the attempt's row, to take back (uncountLoginAttempt) if the password is right.
 */
export async function countPasswordAttempt(
  db: Db,
  config: Config,
  attempt: { email: string; ip: string; who: Principal; entityId: string },
): Promise<number> {
  const counted = await db.transaction(async (tx) => {
    leavesCachesAlone(tx);
    const key = loginAccountKey(attempt.email);
    await lockLoginCounts(tx, key, attempt.ip);
    const failures = await recentLoginFailures(tx, key, attempt.ip, FAILURE_WINDOW_MINUTES);
    if (failures.byAccount >= config.loginLimits.perAccount || failures.byIp >= config.loginLimits.perIp) {
      await recordAudit(tx, attempt.who, {
        entity: 'login',
        entityId: attempt.entityId,
        action: 'rate_limited',
        after: { ip: attempt.ip },
      });
      return null;
    }
    // Each counted attempt sweeps out more old ones than it adds, so the table holds about one
    // window's attempts, however many accounts are tried.
    await forgetOldLoginFailures(tx, FAILURE_WINDOW_MINUTES, SWEEP_OLD_FAILURES);
    return countLoginAttempt(tx, key, attempt.ip);
  });
  if (counted === null) throw new AppError('LOGIN_RATE_LIMITED', 429, 'account.login.rateLimited');
  return counted;
}

/** A password found wrong (or an account inactive), in the trail; it stays counted against the limit. */
export async function recordFailedAttempt(
  db: Db,
  who: Principal,
  failure: { entityId: string; action: string; ip: string; reason: string },
): Promise<void> {
  await db.transaction(async (tx) => {
    leavesCachesAlone(tx);
    await recordAudit(tx, who, {
      entity: 'login',
      entityId: failure.entityId,
      action: failure.action,
      after: { ip: failure.ip, reason: failure.reason },
    });
  });
}

export function passwordMethods(db: Db, config: Config) {
  return {
    /**
     * A signed-in user changes their own password. The current password is checked as a sign-in
     * is, and counted against the same limit: a wrong one is a failed attempt. On success the new
     * password holds, any demand to change it is lifted, and every other session of the user ends;
     * the one they are acting in stays.
     */
    async changeOwnPassword(
      principal: Principal,
      sessionId: number,
      input: { currentPassword: string; newPassword: string },
      ip: string,
    ): Promise<{ endedSessions: number }> {
      const user = principal.userId === null ? undefined : await findUser(db, principal.userId);
      if (!user) throw notFound('user', principal.userId ?? 0);
      const entityId = String(user.id);
      const attempt = await countPasswordAttempt(db, config, { email: user.email, ip, who: principal, entityId });
      if (!(await verify(user.passwordHash, input.currentPassword))) {
        await recordFailedAttempt(db, principal, {
          entityId,
          action: 'password_change_failed',
          ip,
          reason: 'wrong_password',
        });
        throw new AppError('WRONG_PASSWORD', 422, 'account.password.wrongCurrent', {
          fieldErrors: { currentPassword: ['account.password.wrongCurrent'] },
        });
      }
      const passwordHash = await hashPassword(input.newPassword, config.passwordHash);
      return db.transaction(async (tx) => {
        await uncountLoginAttempt(tx, attempt);
        await setUserPassword(tx, user.id, passwordHash, false);
        const endedSessions = await endOtherSessions(tx, user.id, sessionId);
        await recordAudit(tx, principal, {
          entity: 'user',
          entityId: user.id,
          action: 'change_password',
          after: { endedSessions, wasTemporary: user.mustChangePassword },
        });
        await queuePasswordChangedMail(tx, config, user);
        return { endedSessions };
      });
    },

    /**
     * An admin gives a user of their municipality a temporary password: every session of the user
     * ends, and the user must choose a new password at their next sign-in, and is told by mail (in
     * their language) that their password changed. API keys stay valid.
     */
    async resetPassword(
      principal: Principal,
      id: number,
      temporaryPassword: string,
    ): Promise<{ endedSessions: number }> {
      const user = await findUser(db, id);
      if (!user) throw notFound('user', id);
      assertMayWrite(principal, 'users', user.municipalityCode);
      const passwordHash = await hashPassword(temporaryPassword, config.passwordHash);
      return db.transaction(async (tx) => {
        await setUserPassword(tx, id, passwordHash, true);
        const endedSessions = await endUserSessions(tx, id);
        await recordAudit(tx, principal, {
          entity: 'user',
          entityId: id,
          action: 'reset_password',
          after: { endedSessions, mustChangePassword: true },
        });
        await queuePasswordChangedMail(tx, config, user);
        return { endedSessions };
      });
    },
  };
}
