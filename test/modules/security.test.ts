import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type SQL, sql } from 'drizzle-orm';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import t from 'tap';
import { buildApp } from '../../src/app.ts';
import type { Database } from '../../src/db/client.ts';
import { translate } from '../../src/i18n/index.ts';
import { system } from '../../src/lib/principal.ts';
import { actorInput } from '../factories.ts';
import { buildTestApp, formBody, lastId, openTestDatabase, testConfig } from '../helper.ts';

/**
 * Security properties of the whole app, through HTTP: who may open what signed out, the headers on
 * every page, cookies, CSRF, the session's life from login to timeout, the login rate limit,
 * passwords, API keys, and the append-only audit trail.
 */

const PASSWORD = 'en lang og hemmelig adgangskode';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const escapeHtml = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&#34;');
/** A Danish message as it appears on a page. */
const da = (key: string) => escapeHtml(translate('da', key));
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** Every route in src/modules, as METHOD and path with :params, read from the source. */
function routesInSource(): { method: string; path: string }[] {
  const dir = fileURLToPath(new URL('../../src/modules/', import.meta.url));
  const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  const found = new Map<string, { method: string; path: string }>();
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const m of text.matchAll(/\bapp\.(get|post|put|patch|delete)\(\s*['"`]([^'"`]+)['"`]/g)) {
      const method = (m[1] as string).toUpperCase();
      found.set(`${method} ${m[2]}`, { method, path: m[2] as string });
    }
  }
  return [...found.values()];
}
const concrete = (path: string) => path.replace(/:\w+/g, '1');

/** Pages anyone may open signed out (the rule under test, written out, not imported). */
const PUBLIC = [
  /^\/login$/,
  // A forgotten password (the link's token is the authentication) and one-click unsubscribe (the
  // address's HMAC is): tested in test/modules/mail.
  /^\/password\/(forgotten|reset)$/,
  /^\/mail\/unsubscribe$/,
  /^\/setup$/,
  /^\/static\//,
  /^\/docs(\/|$)/,
  /^\/language$/,
  /^\/healthz$/,
  /^\/readyz$/,
  // Calendar feeds: the secret in the address is the authentication; any other address there is 404.
  /^\/calendar\//,
  // Issue 21: the public § 18 pages and the accessibility statement (tested in test/modules/public).
  /^\/public(\/|$)/,
  /^\/accessibility$/,
];
/** The public API (issue 21): the § 18 rounds' public data, with no key. */
const PUBLIC_API = /^\/api\/v1\/public\//;
const isPublic = (path: string) => PUBLIC.some((r) => r.test(path));

/** The Set-Cookie headers of a response, as a list. */
function setCookies(res: LightMyRequestResponse): string[] {
  const raw = res.headers['set-cookie'];
  return raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
}
/** The Set-Cookie header for one cookie name, if any. */
const cookieHeader = (res: LightMyRequestResponse, name: string) =>
  setCookies(res).find((c) => c.startsWith(`${name}=`));
/** The value a Set-Cookie gives, or undefined when it clears the cookie or is not there. */
function cookieValue(res: LightMyRequestResponse, name: string): string | undefined {
  const header = cookieHeader(res, name);
  if (!header || /Expires=Thu, 01 Jan 1970/i.test(header) || /Max-Age=0\b/i.test(header)) return undefined;
  const value = header.slice(name.length + 1).split(';')[0];
  return value || undefined;
}

/** A browser: GET /login for the pre-session CSRF token, then POST the form. */
async function browserLogin(
  app: FastifyInstance,
  email: string,
  password: string,
  opts: {
    names?: { session: string; csrf: string };
    cookie?: string;
    next?: string;
    ip?: string;
    headers?: Record<string, string>;
  } = {},
) {
  const names = opts.names ?? { session: 'samspil_session', csrf: 'samspil_csrf' };
  const page = await app.inject({ method: 'GET', url: '/login', headers: opts.cookie ? { cookie: opts.cookie } : {} });
  // Already signed in, the login page sends the browser home: the form then carries the session's token.
  const csrf =
    page.statusCode === 303 && opts.cookie
      ? await csrfOf(app, opts.cookie)
      : (/name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '');
  const pre = cookieValue(page, names.csrf);
  const cookies = [opts.cookie, pre ? `${names.csrf}=${pre}` : undefined].filter(Boolean).join('; ');
  const res = await app.inject({
    method: 'POST',
    url: '/login',
    payload: formBody({ _csrf: csrf, email, password, ...(opts.next ? { next: opts.next } : {}) }),
    headers: { ...FORM, ...(cookies ? { cookie: cookies } : {}), ...(opts.headers ?? {}) },
    ...(opts.ip ? { remoteAddress: opts.ip } : {}),
  });
  const token = cookieValue(res, names.session);
  return { page, res, token, cookie: token ? `${names.session}=${token}` : undefined };
}

/** A signed-in browser's CSRF token, read from a page as the browser would. */
async function csrfOf(app: FastifyInstance, cookie: string): Promise<string> {
  const page = await app.inject({ method: 'GET', url: '/account', headers: { cookie } });
  return /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
}

async function postAs(app: FastifyInstance, cookie: string, url: string, form: Record<string, string> = {}) {
  const csrf = await csrfOf(app, cookie);
  return app.inject({ method: 'POST', url, payload: formBody({ ...form, _csrf: csrf }), headers: { ...FORM, cookie } });
}

const signedIn = async (app: FastifyInstance, cookie: string | undefined) =>
  (await app.inject({ method: 'GET', url: '/actors', headers: { cookie: String(cookie) } })).statusCode === 200;

const count = async (database: Database, query: SQL) => Number((await database.rows<{ n: number }>(query))[0]?.n ?? 0);

// One app for the tests that can share it: each makes its own users and rows, and counts only the
// rows it made. Apps of their own: set-up (it needs a database with no user), the sessions' test and
// HTTPS cookies (other settings), and the two tests of the sign-in limit (they count every failed
// attempt in the database).
const h = await buildTestApp(t);

t.test('signed out: pages redirect to the login page, the API answers 401', async (t) => {
  const routes = routesInSource();
  t.ok(routes.length > 40, `${routes.length} routes read from src/modules`);
  let pages = 0;
  let api = 0;
  for (const { method, path } of routes) {
    const url = concrete(path);
    if (PUBLIC_API.test(url)) {
      const res = await h.anonymous({ method: method as 'GET', url });
      t.not(res.statusCode, 401, `${method} ${url}: public, no key needed`);
      continue;
    }
    if (url.startsWith('/api/')) {
      api += 1;
      const res = await h.anonymous({
        method: method as 'GET',
        url,
        ...(method === 'GET' ? {} : { payload: {} }),
      });
      t.equal(res.statusCode, 401, `${method} ${url}: 401`);
      t.match(res.headers['content-type'], /^application\/json/);
      t.match(res.json(), { statusCode: 401, code: 'UNAUTHENTICATED' }, `${method} ${url}: code UNAUTHENTICATED`);
      t.match(res.headers['www-authenticate'], /^Bearer realm=/, `${method} ${url}: WWW-Authenticate`);
      continue;
    }
    if (isPublic(url)) continue;
    pages += 1;
    const res = await h.anonymous({
      method: method as 'GET',
      url,
      ...(method === 'GET' ? {} : { payload: 'name=x', headers: FORM }),
    });
    t.equal(res.statusCode, 303, `${method} ${url}: 303`);
    t.equal(
      res.headers.location,
      method === 'GET' ? `/login?next=${encodeURIComponent(url)}` : '/login',
      `${method} ${url}: to the login page${method === 'GET' ? ', with ?next=' : ''}`,
    );
  }
  t.comment(`${pages} page routes and ${api} API routes checked signed out`);

  // Beyond the routes: a query string is kept in next=, unknown pages and API paths too.
  const query = await h.anonymous({ method: 'GET', url: '/actors?q=kirke&page=2' });
  t.equal(query.headers.location, `/login?next=${encodeURIComponent('/actors?q=kirke&page=2')}`);
  t.equal(
    (await h.anonymous({ method: 'GET', url: '/no/such/page' })).headers.location,
    '/login?next=%2Fno%2Fsuch%2Fpage',
  );
  const nowhere = await h.anonymous({ method: 'DELETE', url: '/api/v1/nowhere' });
  t.equal(nowhere.statusCode, 401);
  t.match(nowhere.headers['www-authenticate'], /^Bearer/);
  for (const authorization of ['Bearer sps_not-a-real-token-at-all', 'Basic YWRtaW46YWRtaW4=', `Bearer ${h.cookie}`]) {
    const res = await h.anonymous({ method: 'GET', url: '/api/v1/actors', headers: { authorization } });
    t.equal(res.statusCode, 401, `API with ${authorization.split(' ')[0]} and a wrong credential: 401`);
  }
  t.equal(
    (await h.anonymous({ method: 'GET', url: '/api/v1/actors', headers: { cookie: h.cookie } })).statusCode,
    401,
    'the API does not take the session cookie',
  );
  t.equal(
    (await h.anonymous({ method: 'GET', url: '/actors', headers: { authorization: `Bearer ${h.token}` } })).statusCode,
    303,
    'pages do not take an API key',
  );

  // htmx asks for a fragment: it is told where to go instead of being sent a login page.
  const htmx = await h.anonymous({ method: 'GET', url: '/actors', headers: { 'hx-request': 'true' } });
  t.equal(htmx.statusCode, 401);
  t.equal(htmx.headers['hx-redirect'], '/login');

  // A cookie that names no live session is cleared.
  const stale = await h.anonymous({
    method: 'GET',
    url: '/actors',
    headers: { cookie: 'samspil_session=forged-value' },
  });
  t.equal(stale.statusCode, 303);
  t.match(String(cookieHeader(stale, 'samspil_session')), /Expires=Thu, 01 Jan 1970/, 'the unknown cookie is cleared');

  // The public pages.
  for (const [url, status] of [
    ['/login', 200],
    ['/setup', 303], // set-up is over: it leads to the login page
    ['/healthz', 200],
    ['/readyz', 200],
    ['/static/css/samspil.css', 200],
    ['/docs/json', 200],
    ['/language?to=en&back=/login', 303],
    ['/public', 200],
    ['/public/municipalities/101/rounds', 200],
    ['/accessibility', 200],
    ['/api/v1/public/rounds', 200],
  ] as const) {
    const res = await h.anonymous({ method: 'GET', url });
    t.equal(res.statusCode, status, `${url} is public`);
    t.notMatch(String(res.headers.location ?? ''), /next=/, `${url} is not sent to the login page`);
  }
  t.ok([200, 302].includes((await h.anonymous({ method: 'GET', url: '/docs' })).statusCode), '/docs is public');
});

t.test('before the first user exists, every page leads to set-up', async (t) => {
  const h = await buildTestApp(t, { users: false });
  for (const { method, path } of routesInSource()) {
    const url = concrete(path);
    if (url.startsWith('/api/') || ['/setup', '/healthz', '/readyz', '/language'].includes(url)) continue;
    const res = await h.anonymous({
      method: method as 'GET',
      url,
      ...(method === 'GET' ? {} : { payload: 'name=x', headers: FORM }),
    });
    t.equal(res.statusCode, 303, `${method} ${url}: 303`);
    t.equal(res.headers.location, '/setup', `${method} ${url}: to /setup`);
  }
  for (const url of ['/docs', '/no/such/page']) {
    t.equal((await h.anonymous({ method: 'GET', url })).headers.location, '/setup', `${url}: to /setup`);
  }
  t.equal((await h.anonymous({ method: 'GET', url: '/api/v1/actors' })).statusCode, 401, 'the API still answers 401');
  t.equal((await h.anonymous({ method: 'GET', url: '/healthz' })).statusCode, 200);
  t.equal((await h.anonymous({ method: 'GET', url: '/static/css/samspil.css' })).statusCode, 200);

  // The set-up form: CSRF, password length, then the first admin, and set-up closes.
  const page = await h.anonymous({ method: 'GET', url: '/setup' });
  t.equal(page.statusCode, 200);
  const pre = cookieValue(page, 'samspil_csrf');
  t.ok(pre, 'a pre-session CSRF cookie');
  t.match(String(cookieHeader(page, 'samspil_csrf')), /HttpOnly/);
  t.match(String(cookieHeader(page, 'samspil_csrf')), /SameSite=Lax/);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const setup = (form: Record<string, string>, withCsrf = true) =>
    h.anonymous({
      method: 'POST',
      url: '/setup',
      payload: formBody({ ...form, ...(withCsrf ? { _csrf: csrf } : {}) }),
      headers: { ...FORM, cookie: `samspil_csrf=${pre}` },
    });
  const admin = { name: 'Første Admin', email: 'foerste@kk.dk', municipalityCode: '101' };
  const noToken = await setup({ ...admin, password: PASSWORD }, false);
  t.equal(noToken.statusCode, 403, 'set-up without the CSRF token');
  const short = await setup({ ...admin, password: 'a'.repeat(11) });
  t.equal(short.statusCode, 422, 'set-up: 11 characters are too few');
  t.ok(short.body.includes(da('account.password.tooShort')), 'with the message');
  const long = await setup({ ...admin, password: 'a'.repeat(129) });
  t.equal(long.statusCode, 422, 'set-up: 129 characters are too many');
  t.ok(long.body.includes(da('account.password.tooLong')), 'with the message');
  t.notOk(short.body.includes('a'.repeat(11)), 'the refused password is not sent back');
  t.equal(await count(h.database, sql`select count(*)::int as n from users`), 0, 'no user yet');

  const done = await setup({ ...admin, password: 'b'.repeat(12) });
  t.equal(done.statusCode, 303, 'set-up: 12 characters will do');
  t.equal(done.headers.location, '/');
  t.ok(cookieValue(done, 'samspil_session'), 'and the admin is signed in');
  const users = await h.database.rows<{ role: string; password_hash: string }>(
    sql`select role, password_hash from users`,
  );
  t.equal(users.length, 1);
  t.equal(users[0]?.role, 'admin');
  t.match(users[0]?.password_hash, /^\$argon2id\$/, 'the hash is argon2id');
  const again = await setup({ ...admin, email: 'anden@kk.dk', password: PASSWORD });
  t.equal(again.headers.location, '/login', 'set-up is closed once a user exists');
  t.equal(await count(h.database, sql`select count(*)::int as n from users`), 1, 'and makes no second admin');
  t.equal((await h.anonymous({ method: 'GET', url: '/actors' })).headers.location, '/login?next=%2Factors');
});

t.test('two set-up forms sent at once make one admin', async (t) => {
  const h = await buildTestApp(t, { users: false });
  const page = await h.anonymous({ method: 'GET', url: '/setup' });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const cookie = `samspil_csrf=${cookieValue(page, 'samspil_csrf')}`;
  const setup = (email: string, municipalityCode: string) =>
    h.anonymous({
      method: 'POST',
      url: '/setup',
      payload: formBody({ _csrf: csrf, name: email, email, password: PASSWORD, municipalityCode }),
      headers: { ...FORM, cookie },
    });
  const answers = await Promise.all([setup('kbh@kk.dk', '101'), setup('aarhus@aarhus.dk', '751')]);
  t.ok(
    answers.some((r) => r.statusCode === 303 && r.headers.location === '/'),
    'one of them sets up',
  );
  const admins = await h.database.rows<{ email: string }>(sql`select email from users`);
  t.equal(admins.length, 1, 'exactly one first admin', { admins });
  t.equal(
    answers.filter((r) => cookieValue(r, 'samspil_session')).length,
    1,
    'and only one of the two browsers is signed in',
  );
});

t.test('redirect targets from the query or a form stay on this site', async (t) => {
  /** Where a browser would go: it drops tabs and line breaks from a URL, and reads \\ as /. */
  const staysHere = (location: unknown) => {
    const seen = String(location ?? '')
      .replace(/[\t\n\r]/g, '')
      .replaceAll('\\', '/');
    return seen.startsWith('/') && !seen.startsWith('//');
  };
  const cases: [string, string][] = [
    ['/grants?year=2026', '/grants?year=2026'],
    ['//evil.example/x', '/'],
    ['/\\evil.example', '/'],
    ['https://evil.example/', '/'],
    ['javascript:alert(1)', '/'],
    ['/\t/evil.example', '/'],
    ['/\n/evil.example', '/'],
    ['/\r\n/evil.example', '/'],
  ];
  for (const [target, wanted] of cases) {
    const lang = await h.anonymous({
      method: 'GET',
      url: `/language?to=da&back=${encodeURIComponent(target)}`,
    });
    t.ok(
      lang.statusCode === 303 && staysHere(lang.headers.location),
      `/language?back=${JSON.stringify(target)} stays here`,
      { found: [lang.statusCode, lang.headers.location] },
    );
    t.equal(lang.headers.location, wanted);
    const login = await browserLogin(h.app, h.user.email, PASSWORD, { next: target });
    t.ok(
      login.res.statusCode === 303 && staysHere(login.res.headers.location),
      `login with next=${JSON.stringify(target)} stays here`,
      { found: [login.res.statusCode, login.res.headers.location] },
    );
    t.equal(login.res.headers.location, wanted);
  }
});

t.test('security headers on every HTML response', async (t) => {
  const viewer = await h.as('viewer');
  const signedInPages: [string, LightMyRequestResponse][] = [
    ['the actor list', await h.inject({ method: 'GET', url: '/actors' })],
    ['a form', await h.inject({ method: 'GET', url: '/actors/new' })],
    ['the account page', await h.inject({ method: 'GET', url: '/account' })],
    ['the users page', await h.inject({ method: 'GET', url: '/admin/users' })],
    ['the grants page', await h.inject({ method: 'GET', url: '/grants' })],
    ['the audit page', await h.inject({ method: 'GET', url: '/audit' })],
    ['a 404 page', await h.inject({ method: 'GET', url: '/no/such/page' })],
    ['a 403 page', await viewer.inject({ method: 'GET', url: '/admin/users' })],
    ['a 422 form', await h.postForm('/actors', { name: '' })],
    [
      'an htmx fragment',
      await h.inject({
        method: 'GET',
        url: '/actors',
        headers: { 'hx-request': 'true', 'hx-target': 'actor-results' },
      }),
    ],
  ];
  const signedOutPages: [string, LightMyRequestResponse][] = [
    ['the login page', await h.anonymous({ method: 'GET', url: '/login' })],
    ['a failed login', (await browserLogin(h.app, viewer.user.email, 'not the right password')).res],
    ['the API documentation', await h.anonymous({ method: 'GET', url: '/docs/' })],
    ['a 404 page, signed out', await h.anonymous({ method: 'GET', url: '/favicon.ico' })],
  ];
  for (const [name, res] of [...signedInPages, ...signedOutPages]) {
    t.match(res.headers['content-type'], /^text\/html/, `${name} is HTML`);
    const csp = String(res.headers['content-security-policy'] ?? '');
    const directives = csp.split(';').map((d) => d.trim());
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ]) {
      t.ok(directives.includes(directive), `${name}: CSP ${directive}`, { found: csp });
    }
    t.notMatch(csp, /'unsafe-inline'|'unsafe-eval'/, `${name}: no unsafe-inline or unsafe-eval`);
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${name}: nosniff`);
    t.match(String(res.headers['x-frame-options']), /^(DENY|SAMEORIGIN)$/, `${name}: X-Frame-Options`);
    t.ok(res.headers['referrer-policy'], `${name}: Referrer-Policy`);
  }
  for (const [name, res] of signedInPages) {
    t.match(String(res.headers['cache-control']), /\bno-store\b/, `${name}: Cache-Control no-store`);
  }
  const api = await h.inject({ method: 'GET', url: '/api/v1/actors' });
  t.match(String(api.headers['cache-control']), /\bno-store\b/, 'API answers are not cached either');
  t.equal(api.headers['x-content-type-options'], 'nosniff');
  const css = await h.inject({ method: 'GET', url: '/static/css/samspil.css' });
  t.notMatch(String(css.headers['cache-control']), /no-store/, 'static files may be cached');
});

t.test('cookies: HttpOnly and SameSite=Lax; with HTTPS, __Host- and Secure', async (t) => {
  const plain = await browserLogin(h.app, h.user.email, PASSWORD);
  t.equal(plain.res.statusCode, 303);
  const all = [
    String(cookieHeader(plain.page, 'samspil_csrf')),
    String(cookieHeader(plain.res, 'samspil_session')),
    String(cookieHeader(await h.anonymous({ method: 'GET', url: '/language?to=en' }), 'lang')),
  ];
  for (const header of all) {
    const name = header.split('=')[0];
    t.match(header, /; HttpOnly/i, `${name}: HttpOnly`);
    t.match(header, /; SameSite=Lax/i, `${name}: SameSite=Lax`);
    t.match(header, /; Path=\//, `${name}: Path=/`);
    t.notMatch(header, /Domain=/i, `${name}: no Domain`);
  }
  t.match(
    String(cookieHeader(plain.res, 'samspil_csrf')),
    /Expires=Thu, 01 Jan 1970/,
    'the pre-session CSRF cookie is cleared at login',
  );

  const database = await openTestDatabase(t);
  const app = await buildApp(testConfig({ HTTPS: 'true' }), { database, logger: false });
  t.teardown(() => app.close());
  await app.services.accounts.createUser(
    system,
    { email: 'tls@kk.dk', name: 'TLS', password: PASSWORD, role: 'coordinator', municipalityCode: 101 },
    { system: true },
  );
  const names = { session: '__Host-samspil_session', csrf: '__Host-samspil_csrf' };
  const secure = await browserLogin(app, 'tls@kk.dk', PASSWORD, { names });
  t.equal(secure.res.statusCode, 303, 'signs in over HTTPS');
  const csrfCookie = String(cookieHeader(secure.page, names.csrf));
  const sessionCookie = String(cookieHeader(secure.res, names.session));
  for (const header of [csrfCookie, sessionCookie]) {
    const name = header.split('=')[0];
    t.match(header, /^__Host-/, `${name}: the __Host- prefix`);
    t.match(header, /; Secure/i, `${name}: Secure`);
    t.match(header, /; HttpOnly/i, `${name}: HttpOnly`);
    t.match(header, /; SameSite=Lax/i, `${name}: SameSite=Lax`);
    t.match(header, /; Path=\/(;|$)/, `${name}: Path=/ (required by __Host-)`);
    t.notMatch(header, /Domain=/i, `${name}: no Domain (required by __Host-)`);
  }
  t.notOk(cookieHeader(secure.res, 'samspil_session'), 'no unprefixed session cookie');
  t.ok(await signedIn(app, secure.cookie), 'the __Host- cookie signs in');
  t.notOk(await signedIn(app, `samspil_session=${secure.token}`), 'the unprefixed name is not read under HTTPS');
  t.match(String(secure.res.headers['strict-transport-security']), /max-age=\d+/, 'HSTS under HTTPS');
  const lang = String(cookieHeader(await app.inject({ method: 'GET', url: '/language?to=en' }), 'lang'));
  t.match(lang, /; Secure/i, 'the language cookie is Secure under HTTPS');
});

t.test('CSRF: form posts need the token and must not come from another site', async (t) => {
  const form = { name: 'CSRF-forening', orgType: 'association', roles: 'advocate', homeMunicipalityCode: '101' };
  const post = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    h.inject({ method: 'POST', url: '/actors', payload: formBody(fields), headers: { ...FORM, ...headers } });
  const actors = () => count(h.database, sql`select count(*)::int as n from actors`);
  const actorsBefore = await actors();
  const trailBefore = await lastId(h.database, 'audit_log');

  const missing = await post(form);
  t.equal(missing.statusCode, 403, 'no _csrf: 403');
  t.ok(missing.body.includes('<code>CSRF_REJECTED</code>'), 'code CSRF_REJECTED');
  t.ok(missing.body.includes(da('error.csrf')), 'with a message');
  t.equal((await post({ ...form, _csrf: 'x'.repeat(43) })).statusCode, 403, 'a wrong token: 403');
  t.equal((await post({ ...form, _csrf: '' })).statusCode, 403, 'an empty token: 403');
  t.equal(
    (await post({ ...form, _csrf: h.csrf }, { 'sec-fetch-site': 'cross-site' })).statusCode,
    403,
    'Sec-Fetch-Site: cross-site, even with the right token: 403',
  );
  const other = await h.as('coordinator');
  t.equal((await post({ ...form, _csrf: other.csrf })).statusCode, 403, 'another session’s token: 403');
  t.equal(await actors(), actorsBefore, 'none of them wrote');

  const htmx = await post(form, { 'x-csrf-token': h.csrf, 'hx-request': 'true', 'sec-fetch-site': 'same-origin' });
  t.equal(htmx.statusCode, 303, 'the X-CSRF-Token header (as htmx sends it) works instead of the field');
  t.equal(await actors(), actorsBefore + 1);
  t.equal(
    (await post({ ...form, name: 'Anden forening', _csrf: h.csrf, allowSimilar: 'on' })).statusCode,
    303,
    'the field works',
  );
  t.equal(await actors(), actorsBefore + 2);

  // The login form is guarded before there is a session.
  const login = await h.anonymous({
    method: 'POST',
    url: '/login',
    payload: formBody({ email: h.user.email, password: PASSWORD }),
    headers: FORM,
  });
  t.equal(login.statusCode, 403, 'login without the token: 403, even with the right password');
  t.notOk(cookieValue(login, 'samspil_session'), 'and no session');

  const denied = await h.database.rows<{ entity_id: string; code: string }>(
    sql`select entity_id, after->>'code' as code from audit_log
        where entity = 'access' and action = 'denied' and id > ${trailBefore}`,
  );
  t.equal(denied.filter((d) => d.code === 'CSRF_REJECTED').length, 6, 'the refusals are in the audit trail');
  t.ok(denied.every((d) => d.entity_id === 'POST /actors' || d.entity_id === 'POST /login'));
});

t.test('the way in is chosen on the path the router sees: an encoded /api is the API', async (t) => {
  const cookie = { cookie: h.cookie };
  const bearer = { authorization: `Bearer ${h.token}` };
  const actors = () => count(h.database, sql`select count(*)::int as n from actors`);
  const actorsBefore = await actors();

  for (const url of ['/%61pi/v1/actors', '/%61%70%69/v1/actors', '/api/%761/actors', '/api/v1/%61ctors']) {
    const withCookie = await h.anonymous({ method: 'GET', url, headers: cookie });
    t.equal(withCookie.statusCode, 401, `GET ${url} with only a session cookie: 401`);
    t.match(withCookie.headers['content-type'], /^application\/json/, `${url}: a JSON answer`);
    t.match(withCookie.json(), { code: 'UNAUTHENTICATED' });
    t.equal(
      (await h.anonymous({ method: 'GET', url, headers: bearer })).statusCode,
      200,
      `GET ${url} with the bearer token: 200`,
    );
  }
  // A write with the cookie and the page's CSRF token is no way round the bearer token either.
  const posted = await h.anonymous({
    method: 'POST',
    url: '/%61pi/v1/actors',
    payload: actorInput(),
    headers: { ...cookie, 'x-csrf-token': h.csrf },
  });
  t.equal(posted.statusCode, 401, 'POST /%61pi/v1/actors with cookie and CSRF token: 401');
  const missing = await h.anonymous({ method: 'GET', url: '/%61pi/v1/nothing-here', headers: bearer });
  t.equal(missing.statusCode, 404, 'an encoded API path that leads nowhere: 404');
  t.match(missing.headers['content-type'], /^application\/json/, 'in JSON, as the API answers');
  t.equal(await actors(), actorsBefore, 'nothing was written');

  // A bearer token on a page changes nothing: pages go by the cookie, and forms need the CSRF token.
  const page = await h.anonymous({ method: 'GET', url: '/actors', headers: bearer });
  t.equal(page.statusCode, 303, 'GET /actors with only a bearer token: to the login page');
  const encodedPage = await h.anonymous({ method: 'GET', url: '/%61ctors', headers: bearer });
  t.equal(encodedPage.statusCode, 303, 'GET /%61ctors with only a bearer token: to the login page too');
  const form = formBody({
    name: 'Bærer-forening',
    orgType: 'association',
    roles: 'advocate',
    homeMunicipalityCode: '101',
  });
  for (const url of ['/actors', '/%61ctors']) {
    const res = await h.anonymous({
      method: 'POST',
      url,
      payload: form,
      headers: { ...FORM, ...cookie, ...bearer },
    });
    t.equal(res.statusCode, 403, `POST ${url} with cookie and bearer token but no CSRF token: 403`);
  }
  t.equal(await actors(), actorsBefore, 'nothing was written');
  t.equal(
    (await h.anonymous({ method: 'GET', url: '/%61ctors', headers: cookie })).statusCode,
    200,
    'an encoded page path with the cookie is the page',
  );
});

t.test('sessions: login, logout, deactivation, "end sessions", idle and absolute timeouts', async (t) => {
  const database = await openTestDatabase(t);
  const app = await buildApp(testConfig({ SESSION_IDLE_MINUTES: '1' }), {
    database,
    logger: false,
  });
  t.teardown(() => app.close());
  const { accounts } = app.services;
  const make = (email: string, role: 'admin' | 'coordinator', municipalityCode = 101) =>
    accounts.createUser(system, { email, name: email, password: PASSWORD, role, municipalityCode }, { system: true });
  const admin = await make('admin@kk.dk', 'admin');
  const bo = await make('bo@kk.dk', 'coordinator');
  const sessionRow = (token: string | undefined) =>
    database.rows<{ ended: boolean }>(
      sql`select ended_at is not null as ended from sessions where token_hash = ${sha256(String(token))}`,
    );

  const adminLogin = await browserLogin(app, 'admin@kk.dk', PASSWORD);
  const adminCookie = String(adminLogin.cookie);

  // A wrong password: 401, a message, no session.
  const wrong = await browserLogin(app, 'bo@kk.dk', 'not the password at all');
  t.equal(wrong.res.statusCode, 401, 'a wrong password: 401');
  t.ok(wrong.res.body.includes(da('account.login.failed')), 'with a message');
  t.notOk(cookieHeader(wrong.res, 'samspil_session'), 'no session cookie is set');
  const unknown = await browserLogin(app, 'nobody@kk.dk', PASSWORD);
  t.equal(unknown.res.statusCode, 401, 'an unknown e-mail: the same 401');
  t.ok(unknown.res.body.includes(da('account.login.failed')), 'and the same message');

  // The right password: 303 and a new session every time, never one the browser brought.
  const first = await browserLogin(app, 'bo@kk.dk', PASSWORD);
  t.equal(first.res.statusCode, 303, 'the right password: 303');
  t.equal(first.res.headers.location, '/');
  t.ok(first.token && first.token.length >= 32, 'a session cookie with a long random token');
  const second = await browserLogin(app, 'bo@kk.dk', PASSWORD, { cookie: String(first.cookie) });
  t.ok(second.token && second.token !== first.token, 'a new session id at each login, also when signed in');
  const planted = 'samspil_session=planted-by-an-attacker-0123456789';
  const fixated = await browserLogin(app, 'bo@kk.dk', PASSWORD, { cookie: planted });
  t.ok(fixated.token && fixated.cookie !== planted, 'a cookie planted before login is not adopted');
  t.notOk(await signedIn(app, planted), 'and does not sign in');
  const csrfs = new Set([await csrfOf(app, String(first.cookie)), await csrfOf(app, String(second.cookie))]);
  t.equal(csrfs.size, 2, 'each session has its own CSRF token');
  t.equal(
    (await browserLogin(app, 'bo@kk.dk', PASSWORD, { next: '/grants?year=2026' })).res.headers.location,
    '/grants?year=2026',
    'login returns to next=',
  );
  for (const next of ['//evil.example/x', '/\\evil.example', 'https://evil.example/']) {
    t.equal(
      (await browserLogin(app, 'bo@kk.dk', PASSWORD, { next })).res.headers.location,
      '/',
      `but never off the site (${next})`,
    );
  }

  // Logout ends the session on the server; the old cookie is dead, other sessions live on.
  const logout = await postAs(app, String(first.cookie), '/logout');
  t.equal(logout.statusCode, 303);
  t.equal(logout.headers.location, '/login');
  t.match(
    String(cookieHeader(logout, 'samspil_session')),
    /Expires=Thu, 01 Jan 1970/,
    'the browser’s cookie is cleared',
  );
  t.notOk(await signedIn(app, first.cookie), 'logout: the old cookie no longer works');
  t.same(await sessionRow(first.token), [{ ended: true }], 'the session is ended in the database');
  t.ok(await signedIn(app, second.cookie), 'the user’s other session goes on');

  // An admin's "end sessions" ends every session of that user.
  const third = await browserLogin(app, 'bo@kk.dk', PASSWORD);
  t.ok(await signedIn(app, third.cookie));
  const ended = await postAs(app, adminCookie, `/admin/users/${bo.id}/end-sessions`);
  t.equal(ended.statusCode, 303, 'the admin ends Bo’s sessions');
  for (const s of [second, third, fixated]) t.notOk(await signedIn(app, s.cookie), 'Bo’s session is over');
  t.equal(
    await count(database, sql`select count(*)::int as n from sessions where user_id = ${bo.id} and ended_at is null`),
    0,
    'no live session of Bo’s is left',
  );
  t.ok(await signedIn(app, adminCookie), 'the admin’s own session is untouched');

  // Deactivation ends the sessions and the API keys at once, and stops new log-ins.
  const fourth = await browserLogin(app, 'bo@kk.dk', PASSWORD);
  const { token: apiKey } = await accounts.createApiToken(system, bo.id, 'Bo’s key');
  const apiWorks = async () =>
    (await app.inject({ method: 'GET', url: '/api/v1/actors', headers: { authorization: `Bearer ${apiKey}` } }))
      .statusCode;
  t.equal(await apiWorks(), 200);
  t.equal((await postAs(app, adminCookie, `/admin/users/${bo.id}/deactivate`, { confirm: 'yes' })).statusCode, 303);
  t.notOk(await signedIn(app, fourth.cookie), 'a deactivated user’s session stops working at once');
  t.equal(await apiWorks(), 401, 'and so does their API key');
  t.equal((await browserLogin(app, 'bo@kk.dk', PASSWORD)).res.statusCode, 401, 'and they cannot sign in');
  t.equal((await postAs(app, adminCookie, `/admin/users/${bo.id}/activate`)).statusCode, 303);
  t.equal(await apiWorks(), 401, 'activated again, the old key stays revoked');

  // The idle timeout (1 minute here) and the absolute limit. The clock is moved in the database.
  const backdate = (query: SQL) => database.db.transaction((tx) => tx.execute(query));
  const idle = await browserLogin(app, 'bo@kk.dk', PASSWORD);
  await backdate(
    sql`update sessions set last_seen_at = now() - interval '30 seconds' where token_hash = ${sha256(String(idle.token))}`,
  );
  t.ok(await signedIn(app, idle.cookie), 'idle for 30 seconds: still signed in');
  await backdate(
    sql`update sessions set last_seen_at = now() - interval '2 minutes' where token_hash = ${sha256(String(idle.token))}`,
  );
  const idleRes = await app.inject({ method: 'GET', url: '/actors', headers: { cookie: String(idle.cookie) } });
  t.equal(idleRes.statusCode, 303, 'idle for 2 minutes: the cookie is rejected');
  t.equal(idleRes.headers.location, '/login?next=%2Factors');
  t.same(await sessionRow(idle.token), [{ ended: true }], 'and the session is ended on the server');

  const absolute = await browserLogin(app, 'bo@kk.dk', PASSWORD);
  t.ok(await signedIn(app, absolute.cookie));
  await backdate(
    sql`update sessions set expires_at = now() - interval '1 second' where token_hash = ${sha256(String(absolute.token))}`,
  );
  t.notOk(await signedIn(app, absolute.cookie), 'past its absolute limit, however fresh: rejected');
  const limit = await database.rows<{ hours: number }>(
    sql`select round(extract(epoch from expires_at - created_at) / 3600)::int as hours from sessions
        where token_hash = ${sha256(String(fourth.token))}`,
  );
  t.equal(limit[0]?.hours, 12, 'the absolute limit defaults to 12 hours');

  // The audit trail has the log-ins, the failed ones and the logout.
  const trail = await database.rows<{ action: string; entity_id: string; reason: string | null }>(
    sql`select action, entity_id, after->>'reason' as reason from audit_log where entity = 'login' order by id`,
  );
  t.ok(
    trail.some((r) => r.action === 'login' && r.entity_id === String(bo.id)),
    'log-ins are in the audit trail',
  );
  t.ok(
    trail.some((r) => r.action === 'login_failed' && r.entity_id === String(bo.id) && r.reason === 'wrong_password'),
    'a wrong password is in the audit trail',
  );
  t.ok(
    trail.some((r) => r.action === 'login_failed' && r.entity_id === 'unknown' && r.reason === 'unknown_email'),
    'an unknown e-mail is in the audit trail, without the e-mail',
  );
  t.ok(
    trail.some((r) => r.action === 'login_failed' && r.entity_id === String(bo.id) && r.reason === 'inactive'),
    'a deactivated user’s attempt is in the audit trail',
  );
  t.ok(
    trail.some((r) => r.action === 'logout'),
    'the logout is in the audit trail',
  );
  t.ok(
    (await count(
      database,
      sql`select count(*)::int as n from audit_log where entity = 'user' and entity_id = ${String(bo.id)}
          and action in ('end_sessions', 'deactivate', 'activate') and user_id = ${admin.id}`,
    )) === 3,
    'the admin’s "end sessions", deactivation and activation are in the audit trail',
  );
});

t.test('the login rate limit: 5 failures per account in 15 minutes', async (t) => {
  // Its own app: it counts failed sign-ins by account and by address, and moves them all back in time.
  const h = await buildTestApp(t);
  const victim = await h.as('coordinator');
  const bystander = await h.as('viewer');
  for (let i = 1; i <= 5; i++) {
    const res = await browserLogin(h.app, victim.user.email, `wrong password number ${i}`, { ip: `10.0.0.${i}` });
    t.equal(res.res.statusCode, 401, `failure ${i} (from 10.0.0.${i}): 401`);
  }
  const sixth = await browserLogin(h.app, victim.user.email, PASSWORD, { ip: '10.0.0.99' });
  t.equal(sixth.res.statusCode, 429, 'the 6th attempt, with the right password and another address: 429');
  t.ok(sixth.res.body.includes(da('account.login.rateLimited')), 'with a message');
  t.notOk(cookieHeader(sixth.res, 'samspil_session'), 'and no session');
  const upper = await browserLogin(h.app, victim.user.email.toUpperCase(), PASSWORD, { ip: '10.0.0.98' });
  t.equal(upper.res.statusCode, 429, 'the e-mail in capitals is the same account');
  t.equal(
    (await browserLogin(h.app, bystander.user.email, PASSWORD, { ip: '10.0.0.1' })).res.statusCode,
    303,
    'another account from the same address signs in',
  );
  await h.database.rows(sql`update login_failures set at = now() - interval '16 minutes'`);
  t.equal(
    (await browserLogin(h.app, victim.user.email, PASSWORD)).res.statusCode,
    303,
    'failures older than 15 minutes no longer count',
  );
  // Per address: 20 failures, whatever the accounts, and the 21st attempt from there waits too.
  for (let i = 1; i <= 20; i++) {
    await browserLogin(h.app, `ukendt${i}@kk.dk`, 'some wrong password', { ip: '192.0.2.7' });
  }
  t.equal(
    (await browserLogin(h.app, bystander.user.email, PASSWORD, { ip: '192.0.2.7' })).res.statusCode,
    429,
    'after 20 failures from one address, a real account from there waits too',
  );
  t.equal(
    (await browserLogin(h.app, bystander.user.email, PASSWORD, { ip: '192.0.2.8' })).res.statusCode,
    303,
    'from another address it signs in',
  );
  t.equal(
    (
      await browserLogin(h.app, bystander.user.email, PASSWORD, {
        ip: '192.0.2.7',
        headers: { 'x-forwarded-for': '198.51.100.1' },
      })
    ).res.statusCode,
    429,
    'X-Forwarded-For is not trusted without TRUST_PROXY',
  );
  const limited = await count(
    h.database,
    sql`select count(*)::int as n from audit_log where entity = 'login' and action = 'rate_limited'`,
  );
  t.equal(limited, 4, 'rate-limited attempts are in the audit trail');
  t.equal(
    await count(
      h.database,
      sql`select count(*)::int as n from audit_log where entity = 'login' and action = 'login_failed'
          and entity_id = ${String(victim.user.id)}`,
    ),
    5,
    'the 5 failed log-ins are in the audit trail',
  );
});

t.test('counted sign-in attempts that no longer count are swept out, whoever made them', async (t) => {
  // Its own app: it counts every attempt in the table, and a sweep takes old ones whoever made them.
  const h = await buildTestApp(t);
  const viewer = await h.as('viewer');
  // 150 attempts from yesterday on e-mails nobody has (never tried again), and 3 from just now.
  await h.database.rows(sql`insert into login_failures (account_key, ip, at)
    select md5(i::text), '203.0.113.' || (i % 200), now() - interval '1 day'
    from generate_series(1, 150) i`);
  await h.database.rows(sql`insert into login_failures (account_key, ip) select md5('ny' || i), '203.0.113.9'
    from generate_series(1, 3) i`);
  const counts = async () => {
    const [row] = await h.database.rows<{ old: number; recent: number }>(
      sql`select count(*) filter (where at < now() - interval '15 minutes')::int as old,
                 count(*) filter (where at >= now() - interval '15 minutes')::int as recent from login_failures`,
    );
    return { old: Number(row?.old), recent: Number(row?.recent) };
  };
  t.equal((await browserLogin(h.app, 'ukendt@kk.dk', 'et forkert kodeord', { ip: '10.1.1.1' })).res.statusCode, 401);
  t.same(await counts(), { old: 50, recent: 4 }, 'one attempt sweeps out 100 old ones, and is counted itself');
  t.equal((await browserLogin(h.app, viewer.user.email, PASSWORD, { ip: '10.1.1.2' })).res.statusCode, 303);
  t.same(await counts(), { old: 0, recent: 4 }, 'a successful one sweeps too, and takes back only its own');
});

t.test('passwords: 12 to 128 characters, stored as argon2id', async (t) => {
  // An admin's new user chooses their password through the welcome link; the admin's temporary
  // password is the form that takes one.
  const target = await h.as('viewer', 101);
  const hashOf = async () =>
    (await h.database.rows<{ h: string }>(sql`select password_hash as h from users where id = ${target.user.id}`))[0]
      ?.h;
  const before = await hashOf();
  const setTemporary = (password: string) => h.postForm(`/admin/users/${target.user.id}/password`, { password });
  const short = await setTemporary('a'.repeat(11));
  t.equal(short.statusCode, 422, '11 characters: refused');
  t.ok(short.body.includes(da('account.password.tooShort')), 'with the message');
  const long = await setTemporary('a'.repeat(129));
  t.equal(long.statusCode, 422, '129 characters: refused');
  t.ok(long.body.includes(da('account.password.tooLong')), 'with the message');
  t.equal(await hashOf(), before, 'a refused password changes nothing');
  t.equal((await setTemporary('c'.repeat(12))).statusCode, 303, '12 characters: accepted');
  t.equal((await setTemporary('d'.repeat(128))).statusCode, 303, '128 characters: accepted');
  const hashes = await h.database.rows<{ email: string; password_hash: string }>(
    sql`select email, password_hash from users`,
  );
  t.ok(hashes.length >= 2);
  for (const row of hashes) t.match(row.password_hash, /^\$argon2id\$/, `${row.email}: argon2id`);
  t.notOk(
    hashes.some((r) => r.password_hash.includes('d'.repeat(12)) || r.password_hash.includes(PASSWORD)),
    'no password in clear',
  );
  const loginLong = await browserLogin(h.app, target.user.email, 'd'.repeat(128));
  t.equal(loginLong.res.statusCode, 303, 'a 128-character password signs in');
  const tooLong = await browserLogin(h.app, target.user.email, 'd'.repeat(129));
  t.equal(tooLong.res.statusCode, 422, 'the login form refuses more than 128 characters');
});

t.test('API keys: only the hash is stored, and a revoked key gets 401', async (t) => {
  const created = await h.postForm('/account/tokens', { name: 'Integration' });
  t.equal(created.statusCode, 201);
  const token = /(sps_[\w-]+)/.exec(created.body)?.[1] ?? '';
  t.ok(token.length > 30, 'the new key is shown once');
  const tokenId = /action="\/account\/tokens\/(\d+)\/revoke"/.exec(created.body)?.[1];
  const api = () =>
    h.anonymous({ method: 'GET', url: '/api/v1/actors', headers: { authorization: `Bearer ${token}` } });
  t.equal((await api()).statusCode, 200, 'the key works');

  const stored = await h.database.rows<Record<string, unknown>>(sql`select * from api_tokens`);
  t.notOk(JSON.stringify(stored).includes(token), 'the key’s text is nowhere in api_tokens');
  t.notOk(JSON.stringify(stored).includes(token.slice(4)), 'not even without its prefix');
  t.ok(
    stored.some((r) => r.token_hash === sha256(token)),
    'what is stored is its SHA-256',
  );
  const trail = await h.database.rows<Record<string, unknown>>(sql`select * from audit_log`);
  t.notOk(JSON.stringify(trail).includes(token), 'nor is it in the audit trail');
  const sessions = await h.database.rows<Record<string, unknown>>(sql`select * from sessions`);
  t.notOk(
    JSON.stringify(sessions).includes(h.cookie.split('=')[1] as string),
    'session cookies are stored as hashes too',
  );
  t.notOk(
    (await h.inject({ method: 'GET', url: '/account' })).body.includes(token),
    'the account page does not show it again',
  );

  t.equal((await h.postForm(`/account/tokens/${tokenId}/revoke`, { confirm: 'yes' })).statusCode, 303, 'revoked');
  const revoked = await api();
  t.equal(revoked.statusCode, 401, 'a revoked key gets 401');
  t.match(revoked.json(), { statusCode: 401, code: 'UNAUTHENTICATED' });
  t.match(revoked.headers['www-authenticate'], /^Bearer/);
  t.equal(
    (await h.postForm(`/account/tokens/${tokenId}/revoke`, { confirm: 'yes' })).statusCode,
    404,
    'revoking twice: 404',
  );
});

t.test('access refused is audited, and the audit table is append-only in SQL', async (t) => {
  const viewer = await h.as('viewer');
  const trailBefore = await lastId(h.database, 'audit_log');
  const refused = await viewer.inject({
    method: 'POST',
    url: '/api/v1/target-groups',
    payload: { nameDa: 'Forsøg', parentId: 1 },
  });
  t.equal(refused.statusCode, 403);
  t.match(refused.json(), { statusCode: 403, code: 'FORBIDDEN' });
  const page = await viewer.inject({ method: 'GET', url: '/admin/users' });
  t.equal(page.statusCode, 403);
  const denied = await h.database.rows<{ user_id: number; municipality_code: number; entity_id: string }>(
    sql`select user_id, municipality_code, entity_id from audit_log
        where entity = 'access' and action = 'denied' and id > ${trailBefore} order by id`,
  );
  t.same(
    denied,
    [
      { user_id: viewer.user.id, municipality_code: 101, entity_id: 'POST /api/v1/target-groups' },
      { user_id: viewer.user.id, municipality_code: 101, entity_id: 'GET /admin/users' },
    ],
    'each refusal is in the audit trail with the user and the route',
  );

  const before = await count(h.database, sql`select count(*)::int as n from audit_log`);
  t.ok(before > 0);
  await t.rejects(h.database.rows(sql`update audit_log set action = 'tampered'`), 'UPDATE raises an error');
  await t.rejects(
    h.database.rows(sql`update audit_log set after = null where entity = 'access'`),
    'a narrower UPDATE too',
  );
  await t.rejects(h.database.rows(sql`delete from audit_log`), 'DELETE raises an error');
  await t.rejects(h.database.rows(sql`delete from audit_log where entity = 'access'`), 'a narrower DELETE too');
  await t.rejects(h.database.db.execute(sql`truncate audit_log`), 'TRUNCATE raises an error');
  await t.rejects(
    h.database.db.transaction(async (tx) => {
      await tx.execute(sql`update audit_log set action = 'tampered' where id = (select min(id) from audit_log)`);
    }),
    'and inside a transaction',
  );
  t.equal(await count(h.database, sql`select count(*)::int as n from audit_log`), before, 'no row went');
  t.equal(
    await count(h.database, sql`select count(*)::int as n from audit_log where action = 'tampered'`),
    0,
    'no row changed',
  );
  await h.database.rows(sql`insert into audit_log (entity, entity_id, action) values ('test', '1', 'append')`);
  t.equal(await count(h.database, sql`select count(*)::int as n from audit_log`), before + 1, 'appending works');
});
