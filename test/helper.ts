import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import postgres from 'postgres';
import type { Test } from 'tap';
import { buildApp } from '../src/app.ts';
import { type Config, loadConfig } from '../src/config.ts';
import { type Database, openDatabase } from '../src/db/client.ts';
import { type Role, system } from '../src/lib/principal.ts';
import { borrowPglite } from './shared-pglite.ts';
import { copyPgliteTemplate, postgresUrls, testDatabaseName } from './template.ts';

export const onPostgres = Boolean(process.env.DATABASE_URL);

/**
 * What the tests change in the environment of the app, in process or spawned: silent logs, and the
 * cheapest argon2id cost (the production default costs ~40 ms of CPU per password hashed and checked,
 * for every user a test signs in; the default itself is tested in accounts/password-hash.test.ts).
 */
export const TEST_ENV = {
  LOG_LEVEL: 'silent',
  PASSWORD_HASH_MEMORY_KIB: '1024',
  PASSWORD_HASH_PASSES: '1',
  // Mail is queued, not sent, unless a test starts a sender (test/modules/mail).
  MAIL_SENDER: 'off',
} as const;

/** The configuration a test app runs with: TEST_ENV, then the test's own settings. */
export function testConfig(env: NodeJS.ProcessEnv = {}): Config {
  return loadConfig({ ...TEST_ENV, ...env });
}

/**
 * A database for one test file, as the run's migrated template left it: on PGlite, the process's
 * instance put back as the template left it (test/shared-pglite.ts), or a copy of the template
 * directory of its own while that is lent; on PostgreSQL, a fresh database created from the
 * template. Given back, or removed, at the end.
 */
export async function openTestDatabase(t: Test): Promise<Database> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const { admin, base, template, withDb } = postgresUrls(url);
    const name = testDatabaseName(base, randomBytes(5).toString('hex'));
    const sql = postgres(admin, { max: 1, onnotice: () => {} });
    await sql.unsafe(`create database "${name}" template "${template}"`);
    const database = await openDatabase({ kind: 'postgres', url: withDb(name) });
    // Dropped by the run's "after" step, all at once: each DROP DATABASE waits for a checkpoint
    // (1.3 s here), and drops made together share one.
    t.teardown(async () => {
      await database.close();
      await sql.end();
    });
    return database;
  }
  const lent = await borrowPglite();
  if (lent) {
    try {
      const database = await openDatabase({ kind: 'pglite', dataDir: '' }, { pglite: lent.pglite });
      t.teardown(async () => {
        try {
          await database.close();
        } finally {
          lent.giveBack();
        }
      });
      return database;
    } catch (err) {
      lent.giveBack();
      throw err;
    }
  }
  // Lent already (a second test database at once): a copy of its own.
  const dataDir = await copyPgliteTemplate();
  const remove = () => rmSync(dataDir, { recursive: true, force: true });
  // Also on a test process's abrupt end (a timeout, an uncaught error), so no copy is left behind.
  process.once('exit', remove);
  try {
    const database = await openDatabase({ kind: 'pglite', dataDir });
    t.teardown(async () => {
      try {
        await database.close();
      } finally {
        process.off('exit', remove);
        remove();
      }
    });
    return database;
  } catch (err) {
    process.off('exit', remove);
    remove();
    throw err;
  }
}

export interface Client {
  user: { id: number; email: string; role: Role; municipalityCode: number };
  /** The session cookie and CSRF token of a signed-in browser, and a bearer token for the API. */
  cookie: string;
  csrf: string;
  token: string;
  /** Requests as this user: the bearer token on /api, the session cookie on pages. */
  inject(opts: InjectOptions): Promise<LightMyRequestResponse>;
  /** POSTs an HTML form (application/x-www-form-urlencoded) with the CSRF token. */
  postForm(url: string, form: string | Record<string, string | string[]>): Promise<LightMyRequestResponse>;
}

export interface TestApp extends Client {
  app: FastifyInstance;
  database: Database;
  /** A signed-in client of another role or municipality. */
  as(role: Role, municipalityCode?: number): Promise<Client>;
  /** Requests with no session and no token. */
  anonymous(opts: InjectOptions): Promise<LightMyRequestResponse>;
}

/**
 * A page's text with its numeric character references read back (the HTML holds nothing beyond
 * Latin-1: src/lib/html.ts), and its markup and named entities left as they are, for a test that
 * matches a page's words together with its markup.
 */
export function readReferences(html: string): string {
  return html.replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)));
}

export function formBody(form: string | Record<string, string | string[]>): string {
  return typeof form === 'string'
    ? form
    : new URLSearchParams(
        Object.entries(form).flatMap(([k, v]): [string, string][] =>
          Array.isArray(v) ? v.map((x): [string, string] => [k, x]) : [[k, v]],
        ),
      ).toString();
}

let userCounter = 0;

/** Creates a user through the account service and signs them in as a browser and as an API client. */
export async function signedInClient(app: FastifyInstance, role: Role, municipalityCode: number): Promise<Client> {
  const accounts = app.services.accounts;
  userCounter += 1;
  const email = `${role}.${municipalityCode}.${userCounter}@test.samspil.dk`;
  const password = 'en lang og hemmelig adgangskode';
  const created = await accounts.createUser(
    system,
    { email, name: `Test ${role} ${municipalityCode}`, password, role, municipalityCode },
    { system: true },
  );
  const { token: sessionToken, signedIn } = await accounts.login(email, password, '127.0.0.1');
  const { token } = await accounts.createApiToken(system, created.id, 'test');
  const cookie = `samspil_session=${sessionToken}`;
  const inject = (opts: InjectOptions) => {
    const url = String(opts.url ?? '');
    const auth = url.startsWith('/api/') ? { authorization: `Bearer ${token}` } : { cookie };
    return app.inject({ ...opts, headers: { ...auth, ...(opts.headers ?? {}) } });
  };
  return {
    user: { id: created.id, email, role, municipalityCode },
    cookie,
    csrf: signedIn.csrfToken,
    token,
    inject,
    postForm: (url, form) => {
      const body = formBody(form);
      const payload = body.includes('_csrf=')
        ? body
        : `${body}${body ? '&' : ''}_csrf=${encodeURIComponent(signedIn.csrfToken)}`;
      return inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    },
  };
}

/** The app on a fresh copy of the template, with a signed-in admin of København (101). */
export async function buildTestApp(
  t: Test,
  options: { users?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<TestApp> {
  const database = await openTestDatabase(t);
  const app = await buildApp(testConfig(options.env), { database, logger: false });
  t.teardown(() => app.close());
  const admin = options.users === false ? undefined : await signedInClient(app, 'admin', 101);
  const none = async () => {
    throw new Error('buildTestApp({ users: false }) has no signed-in client');
  };
  return {
    ...(admin ?? {
      user: { id: 0, email: '', role: 'admin', municipalityCode: 0 },
      cookie: '',
      csrf: '',
      token: '',
      inject: none,
      postForm: none,
    }),
    app,
    database,
    as: (role, municipalityCode = 101) => signedInClient(app, role, municipalityCode),
    anonymous: (opts) => app.inject(opts),
  };
}

/**
 * The login form as a browser sends it: the pre-session cookie and CSRF token from GET /login, then
 * one POST per attempt, from the address given.
 */
export async function loginForm(app: FastifyInstance) {
  const page = await app.inject({ method: 'GET', url: '/login' });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const cookie = String(page.headers['set-cookie']).split(';')[0] ?? '';
  return (email: string, password: string, ip = '127.0.0.1') =>
    app.inject({
      method: 'POST',
      url: '/login',
      remoteAddress: ip,
      payload: formBody({ _csrf: csrf, email, password }),
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    });
}

/**
 * The id of a table's newest row (0 when it is empty): a test that shares its app reads it before it
 * acts, and then looks only at the rows after it.
 */
export async function lastId(
  database: Database,
  table: 'audit_log' | 'mail_outbox' | 'password_resets',
): Promise<number> {
  const [row] = await database.rows<{ id: string | number }>(
    sql`select coalesce(max(id), 0) as id from ${sql.raw(table)}`,
  );
  return Number(row?.id ?? 0);
}

/**
 * Waits until the process has heard the notification of every write committed so far. On PostgreSQL
 * a write's notification comes back on the listening connection some time after its commit, and
 * counts on the write clock again when it does (src/db/client.ts): a page kept before it arrives is
 * dropped. A test that wants a page kept across its next steps first waits here, after its set-up's
 * writes. A token is notified on a channel of its own, heard on the same connection: notifications
 * arrive in the order of their commits, so when it is heard, every earlier one has been.
 */
export async function writesHeard(database: Database): Promise<void> {
  const client = database.sql;
  if (!client) return; // PGlite: a write’s notification is delivered as its commit returns.
  const token = randomBytes(8).toString('hex');
  let heard = () => {};
  const arrived = new Promise<void>((resolve) => {
    heard = resolve;
  });
  const { unlisten } = await client.listen('samspil_test_heard', (payload) => {
    if (payload === token) heard();
  });
  // Only a lost listening connection (which loses the token) makes this wait long: say so, not hang.
  let timer: NodeJS.Timeout | undefined;
  const lost = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('writesHeard: the token notified was not heard in 120 s')), 120_000);
  });
  try {
    await client`select pg_notify('samspil_test_heard', ${token})`;
    await Promise.race([arrived, lost]);
  } finally {
    clearTimeout(timer);
    await unlisten();
  }
}

/** PostgreSQL only: a second app process on the same database as `first`, closed at the end. */
export async function secondProcess(t: Test, first: TestApp): Promise<FastifyInstance> {
  const database = await openDatabase({ kind: 'postgres', url: first.database.url as string });
  const app = await buildApp(testConfig(), { database, logger: false });
  t.teardown(async () => {
    await app.close();
    await database.close();
  });
  return app;
}
