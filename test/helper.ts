import { randomBytes } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import postgres from 'postgres';
import type { Test } from 'tap';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { type Database, openDatabase } from '../src/db/client.ts';
import { type Role, system } from '../src/lib/principal.ts';
import { buildPgliteTemplate, loadPgliteTemplate, postgresUrls } from './template.ts';

export const onPostgres = Boolean(process.env.DATABASE_URL);

/**
 * A database for one test file, copied from the run's migrated template: PGlite in memory, or a
 * fresh PostgreSQL database created from the template and dropped at the end.
 */
export async function openTestDatabase(t: Test): Promise<Database> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const { admin, template, withDb } = postgresUrls(url);
    const name = `${template.replace(/_tpl$/, '')}_t${randomBytes(5).toString('hex')}`;
    const sql = postgres(admin, { max: 1, onnotice: () => {} });
    await sql.unsafe(`create database "${name}" template "${template}"`);
    const database = await openDatabase({ kind: 'postgres', url: withDb(name) });
    t.teardown(async () => {
      await database.close();
      await sql.unsafe(`drop database if exists "${name}" with (force)`);
      await sql.end();
    });
    return database;
  }
  let template = loadPgliteTemplate();
  if (!template) {
    await buildPgliteTemplate();
    template = loadPgliteTemplate();
  }
  const database = await openDatabase({ kind: 'pglite', dataDir: '' }, { inMemory: true, loadDataDir: template });
  t.teardown(() => database.close());
  return database;
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
export async function buildTestApp(t: Test, options: { users?: boolean } = {}): Promise<TestApp> {
  const database = await openTestDatabase(t);
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }), { database, logger: false });
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

/** PostgreSQL only: a second app process on the same database as `first`, closed at the end. */
export async function secondProcess(t: Test, first: TestApp): Promise<FastifyInstance> {
  const database = await openDatabase({ kind: 'postgres', url: first.database.url as string });
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }), { database, logger: false });
  t.teardown(async () => {
    await app.close();
    await database.close();
  });
  return app;
}
