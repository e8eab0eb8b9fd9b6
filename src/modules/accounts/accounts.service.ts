import { verify } from '@node-rs/argon2';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import { assertMayWrite } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { newSecret, sha256 } from '../../lib/secrets.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import type { MunicipalityService } from '../municipalities/municipalities.service.ts';
import { assertEmailFree, auditUser, userEditMethods } from './accounts.edit.ts';
import { emailMethods } from './accounts.email.ts';
import { countPasswordAttempt, hashPassword, passwordMethods, recordFailedAttempt } from './accounts.passwords.ts';
import {
  anyUserExists,
  countLiveSessions,
  endSession,
  endUserSessions,
  findLiveApiToken,
  findLiveSession,
  findUser,
  findUserByEmail,
  insertApiToken,
  insertSession,
  insertUser,
  listApiTokens,
  listUsers,
  lockFirstRunSetup,
  revokeApiToken,
  revokeUserApiTokens,
  setUserActive,
  touchApiToken,
  touchSession,
  type UserRow,
  uncountLoginAttempt,
} from './accounts.repository.ts';
import { passwordResetMethods } from './accounts.reset.ts';
import type { InviteUserInput, NewUserInput } from './accounts.schemas.ts';
import { issueWelcomeLink, unusablePasswordHash, welcomeMethods } from './accounts.welcome.ts';

/** A session's or key's last use is written at most this often, to spare the database a write per request. */
const TOUCH_AFTER_SECONDS = 60;
/** What the audit trail names a sign-in attempt by when the e-mail typed is no account's: not the e-mail. */
const UNKNOWN_ACCOUNT = 'unknown';
/** No user's id: a new user's address must be free of every user. */
const NO_USER = 0;

export interface SignedIn {
  principal: Principal;
  sessionId: number;
  csrfToken: string;
  /** An admin set a temporary password: the user must choose a new one before anything else. */
  mustChangePassword: boolean;
}

const principalOf = (u: UserRow): Principal => ({
  userId: u.id,
  municipalityCode: u.municipalityCode,
  role: u.role,
  name: u.name,
});

/** The principal a session or key acts as, from the user's columns read with it. */
const actingAs = (r: Required<Principal>): Principal => ({
  userId: r.userId,
  municipalityCode: r.municipalityCode,
  role: r.role,
  name: r.name,
});

export function createAccountService(db: Db, config: Config, municipalities: MunicipalityService) {
  let usersExist = false;
  /** A hash to verify against when the e-mail is unknown, so both cases take as long. */
  const dummyHash = hashPassword(newSecret(), config.passwordHash);

  async function assertKnownMunicipality(code: number) {
    if (!(await municipalities.all()).some((m) => m.code === code)) {
      throw new AppError('UNKNOWN_MUNICIPALITY', 400, 'error.validation', {
        fieldErrors: { municipalityCode: ['validation.unknownMunicipality'] },
      });
    }
  }

  /** A new user: with a password of their own, or (no password) with a welcome link by mail, in one transaction. */
  async function insertNewUser(
    principal: Principal,
    input: InviteUserInput & { password?: string },
    options: { onlyIfFirst?: boolean } = {},
  ): Promise<UserRow> {
    const passwordHash = input.password
      ? await hashPassword(input.password, config.passwordHash)
      : await unusablePasswordHash(config);
    return db.transaction(async (tx) => {
      if (options.onlyIfFirst) {
        // Two set-up forms sent at once: the lock makes the second see the first's user.
        await lockFirstRunSetup(tx);
        if (await anyUserExists(tx)) throw new AppError('SETUP_DONE', 409, 'account.setup.done');
      }
      await assertEmailFree(tx, input.email, NO_USER);
      const user = await insertUser(tx, {
        email: input.email,
        name: input.name,
        role: input.role,
        municipalityCode: input.municipalityCode,
        passwordHash,
        mustChangePassword: false,
      });
      await recordAudit(tx, principal, { entity: 'user', entityId: user.id, action: 'create', after: auditUser(user) });
      if (!input.password) {
        const resetId = await issueWelcomeLink(tx, config, user);
        await recordAudit(tx, principal, {
          entity: 'user',
          entityId: user.id,
          action: 'welcome_link_sent',
          after: { resetId },
        });
      }
      usersExist = true;
      return user;
    });
  }

  const service = {
    ...passwordMethods(db, config),
    ...passwordResetMethods(db, config),
    ...userEditMethods(db, config, assertKnownMunicipality),
    ...welcomeMethods(db, config),
    ...emailMethods(db, config),

    async hasUsers(): Promise<boolean> {
      if (!usersExist) usersExist = await anyUserExists(db);
      return usersExist;
    },

    /** Creates the first admin. Refused once any user exists. */
    async setupFirstAdmin(input: Omit<NewUserInput, 'role'>): Promise<UserRow> {
      await assertKnownMunicipality(input.municipalityCode);
      if (await service.hasUsers()) throw new AppError('SETUP_DONE', 409, 'account.setup.done');
      return insertNewUser(
        { userId: null, municipalityCode: input.municipalityCode, role: null, name: 'setup' },
        {
          ...input,
          role: 'admin',
        },
        { onlyIfFirst: true },
      );
    },

    /**
     * A user with a password of their own: the CLI, the demo and tests (system principal, any
     * municipality); any other principal must be one who writes the municipality's users.
     */
    async createUser(principal: Principal, input: NewUserInput, options: { system?: boolean } = {}): Promise<UserRow> {
      await assertKnownMunicipality(input.municipalityCode);
      if (!options.system) assertMayWrite(principal, 'users', input.municipalityCode);
      return insertNewUser(principal, input);
    },

    /**
     * An admin creates a user of their own municipality without a password: the user gets a welcome
     * mail, queued in the same transaction, with a link to choose one; until then nothing signs in.
     */
    async inviteUser(principal: Principal, input: InviteUserInput): Promise<UserRow> {
      await assertKnownMunicipality(input.municipalityCode);
      assertMayWrite(principal, 'users', input.municipalityCode);
      return insertNewUser(principal, input);
    },

    async listUsers(principal: Principal) {
      if (principal.municipalityCode === null) return [];
      const rows = await listUsers(db, principal.municipalityCode);
      return Promise.all(
        rows.map(async (u) => ({
          ...auditUser(u),
          mustChangePassword: u.mustChangePassword,
          liveSessions: await countLiveSessions(db, u.id),
        })),
      );
    },

    async getUser(id: number): Promise<UserRow> {
      const user = await findUser(db, id);
      if (!user) throw notFound('user', id);
      return user;
    },

    /**
     * Deactivating a user ends their sessions and revokes their API keys, at once and for good:
     * activating them again lets them sign in, and their old keys stay revoked.
     */
    async setActive(principal: Principal, id: number, active: boolean): Promise<void> {
      const user = await service.getUser(id);
      assertMayWrite(principal, 'users', user.municipalityCode);
      if (!active && user.id === principal.userId)
        throw new AppError('SELF_DEACTIVATION', 409, 'account.deactivate.self');
      await db.transaction(async (tx) => {
        const after = await setUserActive(tx, id, active);
        if (!active) {
          await endUserSessions(tx, id);
          for (const tokenId of await revokeUserApiTokens(tx, id)) {
            await recordAudit(tx, principal, {
              entity: 'api_token',
              entityId: tokenId,
              action: 'revoke',
              after: { userId: id, reason: 'deactivated' },
            });
          }
        }
        await recordAudit(tx, principal, {
          entity: 'user',
          entityId: id,
          action: active ? 'activate' : 'deactivate',
          before: auditUser(user),
          after: after ? auditUser(after) : null,
        });
      });
    },

    /** An admin's "end sessions": every session of the user ends on the server. */
    async endSessionsOf(principal: Principal, id: number): Promise<number> {
      const user = await service.getUser(id);
      assertMayWrite(principal, 'users', user.municipalityCode);
      return db.transaction(async (tx) => {
        const ended = await endUserSessions(tx, id);
        await recordAudit(tx, principal, { entity: 'user', entityId: id, action: 'end_sessions', after: { ended } });
        return ended;
      });
    },

    /**
     * Signs in. The attempt is counted against the account and the address first, under a lock on
     * both counts, and refused if either is at its limit: so however many attempts arrive at once,
     * no more passwords than the limit are checked in the window. A failure stays counted; a success
     * takes its count back and starts a new session with a new id and a new CSRF token.
     */
    async login(email: string, password: string, ip: string): Promise<{ token: string; signedIn: SignedIn }> {
      const user = await findUserByEmail(db, email);
      // Attempts on an account are in its municipality's audit trail; others name no e-mail.
      const who: Principal = { userId: user?.id ?? null, municipalityCode: user?.municipalityCode ?? null, role: null };
      const entityId = user ? String(user.id) : UNKNOWN_ACCOUNT;
      const attempt = await countPasswordAttempt(db, config, { email, ip, who, entityId });

      let ok = false;
      if (user) ok = await verify(user.passwordHash, password);
      else await verify(await dummyHash, password);
      if (!user || !ok || !user.active) {
        await recordFailedAttempt(db, who, {
          entityId,
          action: 'login_failed',
          ip,
          reason: !user ? 'unknown_email' : !ok ? 'wrong_password' : 'inactive',
        });
        throw new AppError('LOGIN_FAILED', 401, 'account.login.failed');
      }
      const token = newSecret();
      const csrfToken = newSecret();
      const session = await db.transaction(async (tx) => {
        await uncountLoginAttempt(tx, attempt);
        const row = await insertSession(tx, {
          tokenHash: sha256(token),
          userId: user.id,
          csrfToken,
          expiresAt: new Date(Date.now() + config.session.absoluteHours * 3_600_000),
        });
        await recordAudit(tx, principalOf(user), {
          entity: 'login',
          entityId: String(user.id),
          action: 'login',
          after: { ip },
        });
        return row;
      });
      return {
        token,
        signedIn: {
          principal: principalOf(user),
          sessionId: session.id,
          csrfToken,
          mustChangePassword: user.mustChangePassword,
        },
      };
    },

    /**
     * The session behind a cookie, if it is still live (neither idle too long nor past its absolute
     * limit). Read from the database at every request, in one statement with its user: what another
     * process committed (a sign-out, a deactivation) holds at once.
     */
    async resolveSession(token: string): Promise<SignedIn | undefined> {
      const row = await findLiveSession(db, sha256(token), config.session.idleMinutes, TOUCH_AFTER_SECONDS);
      if (!row) return undefined;
      if (row.idle) {
        await endSession(db, row.id);
        return undefined;
      }
      if (row.stale) await touchSession(db, row.id);
      return {
        principal: actingAs(row),
        sessionId: row.id,
        csrfToken: row.csrfToken,
        mustChangePassword: row.mustChangePassword,
      };
    },

    async logout(principal: Principal, sessionId: number): Promise<void> {
      await db.transaction(async (tx) => {
        await endSession(tx, sessionId);
        await recordAudit(tx, principal, { entity: 'login', entityId: String(principal.userId), action: 'logout' });
      });
    },

    /** A new API token; the plain token is returned once and only its hash is kept. */
    async createApiToken(principal: Principal, userId: number, name: string): Promise<{ id: number; token: string }> {
      const token = `sps_${newSecret()}`;
      return db.transaction(async (tx) => {
        const row = await insertApiToken(tx, { userId, name, tokenHash: sha256(token) });
        await recordAudit(tx, principal, {
          entity: 'api_token',
          entityId: row.id,
          action: 'create',
          after: { userId, name },
        });
        return { id: row.id, token };
      });
    },

    /** The user behind an API key, read from the database at every request, as a session is. */
    async resolveApiToken(token: string): Promise<Principal | undefined> {
      const row = await findLiveApiToken(db, sha256(token), TOUCH_AFTER_SECONDS);
      if (!row) return undefined;
      if (row.stale) await touchApiToken(db, row.id);
      return actingAs(row);
    },

    async listApiTokens(userId: number) {
      return listApiTokens(db, userId);
    },

    async revokeApiToken(principal: Principal, tokenId: number): Promise<void> {
      if (principal.userId === null) throw notFound('api_token', tokenId);
      const userId = principal.userId;
      await db.transaction(async (tx) => {
        if (!(await revokeApiToken(tx, userId, tokenId))) throw notFound('api_token', tokenId);
        await recordAudit(tx, principal, { entity: 'api_token', entityId: tokenId, action: 'revoke' });
      });
    },

    async findUserByEmail(email: string) {
      return findUserByEmail(db, email);
    },
  };
  return service;
}
export type AccountService = ReturnType<typeof createAccountService>;
