import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { sql } from 'drizzle-orm';
import type { Config } from '../../config.ts';
import { type Db, leavesCachesAlone } from '../../db/client.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import { assertMayWrite } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import type { MunicipalityService } from '../municipalities/municipalities.service.ts';
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
  recentLoginFailures,
  recordLoginFailure,
  revokeApiToken,
  setUserActive,
  touchApiToken,
  touchSession,
  type UserRow,
} from './accounts.repository.ts';
import type { NewUserInput } from './accounts.schemas.ts';

/** argon2id (the library's default algorithm), with its default cost. */
const ARGON2ID = 2;
const FAILURE_WINDOW_MINUTES = 15;
/** An arbitrary constant: the advisory lock that serialises first-run set-up. */
const SETUP_LOCK = 7_318_246;
/** A session's last-seen time is written at most this often, to spare the database a write per request. */
const TOUCH_AFTER_MS = 60_000;
/** How long a resolved session or key is taken from memory while no write has been committed. */
const RESOLVED_TTL_MS = 30_000;
const RESOLVED_MAX = 10_000;

/** What a cookie or key resolved to, at a write generation. */
interface Resolved<V> {
  gen: number;
  at: number;
  id: number;
  lastUsedAt: number;
  expiresAt: number;
  value: V;
}

/**
 * Sessions and API keys as last read, by the hash of their secret. An entry is dropped when any
 * write is committed (by any process: ending a session, revoking a key or deactivating a user is
 * audited, and the audit record notifies every process), when it is older than RESOLVED_TTL_MS, and
 * when its absolute limit has passed. The idle limit is checked by the caller, against the last use
 * this process knows of; where that says idle, the database has the last word.
 */
function resolvedMemo<V>(generation: () => number) {
  const entries = new Map<string, Resolved<V>>();
  return {
    get(key: string, now: number): Resolved<V> | undefined {
      const e = entries.get(key);
      if (!e) return undefined;
      if (e.gen === generation() && now - e.at < RESOLVED_TTL_MS && now < e.expiresAt) return e;
      entries.delete(key);
      return undefined;
    },
    set(key: string, e: Resolved<V>) {
      entries.delete(key);
      entries.set(key, e);
      if (entries.size > RESOLVED_MAX) entries.delete(entries.keys().next().value as string);
    },
  };
}

/** Without a write generation nothing is reused: each call counts as a new generation. */
const neverTheSame = () => {
  let n = 0;
  return () => n++;
};

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
export const newSecret = (bytes = 32) => randomBytes(bytes).toString('base64url');

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface SignedIn {
  principal: Principal;
  sessionId: number;
  csrfToken: string;
}

/** What the audit trail keeps of a user: never the password hash. */
const auditUser = (u: UserRow) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  municipalityCode: u.municipalityCode,
  active: u.active,
});

const principalOf = (u: UserRow): Principal => ({
  userId: u.id,
  municipalityCode: u.municipalityCode,
  role: u.role,
  name: u.name,
});

export function createAccountService(
  db: Db,
  config: Config,
  municipalities: MunicipalityService,
  generation: () => number = neverTheSame(),
) {
  let usersExist = false;
  const sessionsSeen = resolvedMemo<SignedIn>(generation);
  const keysSeen = resolvedMemo<Principal>(generation);
  const idleLimitMs = config.session.idleMinutes * 60_000;
  /** A hash to verify against when the e-mail is unknown, so both cases take as long. */
  const dummyHash = hash(newSecret(), { algorithm: ARGON2ID });

  async function assertKnownMunicipality(code: number) {
    if (!(await municipalities.all()).some((m) => m.code === code)) {
      throw new AppError('UNKNOWN_MUNICIPALITY', 400, 'error.validation', {
        fieldErrors: { municipalityCode: ['validation.unknownMunicipality'] },
      });
    }
  }

  async function insertNewUser(principal: Principal, input: NewUserInput, onlyIfFirst = false): Promise<UserRow> {
    const passwordHash = await hash(input.password, { algorithm: ARGON2ID });
    return db.transaction(async (tx) => {
      if (onlyIfFirst) {
        // Two set-up forms sent at once: the lock makes the second see the first's user.
        await tx.execute(sql`select pg_advisory_xact_lock(${SETUP_LOCK})`);
        if (await anyUserExists(tx)) throw new AppError('SETUP_DONE', 409, 'account.setup.done');
      }
      if (await findUserByEmail(tx, input.email)) {
        throw new AppError('DUPLICATE_EMAIL', 409, 'account.email.duplicate', {
          fieldErrors: { email: ['account.email.duplicate'] },
        });
      }
      const user = await insertUser(tx, {
        email: input.email,
        name: input.name,
        role: input.role,
        municipalityCode: input.municipalityCode,
        passwordHash,
      });
      await recordAudit(tx, principal, { entity: 'user', entityId: user.id, action: 'create', after: auditUser(user) });
      usersExist = true;
      return user;
    });
  }

  const service = {
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
        true,
      );
    },

    /** An admin creates a user of their own municipality; the CLI (system principal) any user. */
    async createUser(principal: Principal, input: NewUserInput, options: { system?: boolean } = {}): Promise<UserRow> {
      await assertKnownMunicipality(input.municipalityCode);
      if (!options.system) assertMayWrite(principal, 'users', input.municipalityCode);
      return insertNewUser(principal, input);
    },

    async listUsers(principal: Principal) {
      if (principal.municipalityCode === null) return [];
      const rows = await listUsers(db, principal.municipalityCode);
      return Promise.all(rows.map(async (u) => ({ ...auditUser(u), liveSessions: await countLiveSessions(db, u.id) })));
    },

    async getUser(id: number): Promise<UserRow> {
      const user = await findUser(db, id);
      if (!user) throw notFound('user', id);
      return user;
    },

    /** Deactivating a user ends their sessions at once; activating lets them sign in again. */
    async setActive(principal: Principal, id: number, active: boolean): Promise<void> {
      const user = await service.getUser(id);
      assertMayWrite(principal, 'users', user.municipalityCode);
      if (!active && user.id === principal.userId)
        throw new AppError('SELF_DEACTIVATION', 409, 'account.deactivate.self');
      await db.transaction(async (tx) => {
        const after = await setUserActive(tx, id, active);
        if (!active) await endUserSessions(tx, id);
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
     * Signs in: checks the rate limit, then the password. Every failure is recorded; a success
     * starts a new session with a new id and a new CSRF token.
     */
    async login(email: string, password: string, ip: string): Promise<{ token: string; signedIn: SignedIn }> {
      const failures = await recentLoginFailures(db, email, ip, FAILURE_WINDOW_MINUTES);
      if (failures.byEmail >= config.loginLimits.perAccount || failures.byIp >= config.loginLimits.perIp) {
        await db.transaction((tx) => {
          leavesCachesAlone(tx);
          return recordAudit(
            tx,
            { userId: null, municipalityCode: null, role: null },
            {
              entity: 'login',
              entityId: email.toLowerCase(),
              action: 'rate_limited',
              after: { ip },
            },
          );
        });
        throw new AppError('LOGIN_RATE_LIMITED', 429, 'account.login.rateLimited');
      }
      const user = await findUserByEmail(db, email);
      let ok = false;
      if (user) ok = await verify(user.passwordHash, password);
      else await verify(await dummyHash, password);
      if (!user || !ok || !user.active) {
        await db.transaction(async (tx) => {
          leavesCachesAlone(tx);
          await recordLoginFailure(tx, email, ip);
          await recordAudit(
            tx,
            { userId: user?.id ?? null, municipalityCode: user?.municipalityCode ?? null, role: null },
            {
              entity: 'login',
              entityId: user ? String(user.id) : email.toLowerCase(),
              action: 'login_failed',
              after: { ip, reason: !user ? 'unknown_email' : !ok ? 'wrong_password' : 'inactive' },
            },
          );
        });
        throw new AppError('LOGIN_FAILED', 401, 'account.login.failed');
      }
      const token = newSecret();
      const csrfToken = newSecret();
      const session = await db.transaction(async (tx) => {
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
      return { token, signedIn: { principal: principalOf(user), sessionId: session.id, csrfToken } };
    },

    /** The session behind a cookie, if it is still live (neither idle too long nor past its absolute limit). */
    async resolveSession(token: string): Promise<SignedIn | undefined> {
      const key = sha256(token);
      const now = Date.now();
      const seen = sessionsSeen.get(key, now);
      if (seen && now - seen.lastUsedAt <= idleLimitMs) {
        if (now - seen.lastUsedAt > TOUCH_AFTER_MS) {
          await touchSession(db, seen.id);
          seen.lastUsedAt = now;
        }
        return seen.value;
      }
      const gen = generation();
      const row = await findLiveSession(db, key);
      if (!row) return undefined;
      let lastUsedAt = row.session.lastSeenAt.getTime();
      if (now - lastUsedAt > idleLimitMs) {
        await endSession(db, row.session.id);
        return undefined;
      }
      if (now - lastUsedAt > TOUCH_AFTER_MS) {
        await touchSession(db, row.session.id);
        lastUsedAt = now;
      }
      const value = { principal: principalOf(row.user), sessionId: row.session.id, csrfToken: row.session.csrfToken };
      sessionsSeen.set(key, {
        gen,
        at: now,
        id: row.session.id,
        lastUsedAt,
        expiresAt: row.session.expiresAt.getTime(),
        value,
      });
      return value;
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

    async resolveApiToken(token: string): Promise<Principal | undefined> {
      const key = sha256(token);
      const now = Date.now();
      const seen = keysSeen.get(key, now);
      if (seen) {
        if (now - seen.lastUsedAt > TOUCH_AFTER_MS) {
          await touchApiToken(db, seen.id);
          seen.lastUsedAt = now;
        }
        return seen.value;
      }
      const gen = generation();
      const row = await findLiveApiToken(db, key);
      if (!row) return undefined;
      let lastUsedAt = row.token.lastUsedAt?.getTime() ?? 0;
      if (now - lastUsedAt > TOUCH_AFTER_MS) {
        await touchApiToken(db, row.token.id);
        lastUsedAt = now;
      }
      const value = principalOf(row.user);
      keysSeen.set(key, { gen, at: now, id: row.token.id, lastUsedAt, expiresAt: Number.POSITIVE_INFINITY, value });
      return value;
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
