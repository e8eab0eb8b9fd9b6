import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildApp } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config.ts';
import { buildTestApp, formBody, openTestDatabase } from '../../helper.ts';

const PASSWORD = 'en lang og hemmelig adgangskode';

t.test('signed out: pages lead to the login page, the API answers 401', async (t) => {
  const h = await buildTestApp(t);
  for (const url of [
    '/',
    '/actors',
    '/actors/new',
    '/actors/1',
    '/target-groups',
    '/audit',
    '/account',
    '/admin/users',
  ]) {
    const res = await h.anonymous({ method: 'GET', url });
    t.equal(res.statusCode, 303, url);
    t.equal(res.headers.location, `/login?next=${encodeURIComponent(url)}`);
  }
  const post = await h.anonymous({
    method: 'POST',
    url: '/actors',
    payload: 'name=x',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  t.equal(post.statusCode, 303);
  t.equal(post.headers.location, '/login');
  for (const url of ['/api/v1/municipalities', '/api/v1/actors', '/api/v1/target-groups', '/api/v1/nowhere']) {
    const res = await h.anonymous({ method: 'GET', url });
    t.equal(res.statusCode, 401, url);
    t.match(res.json(), { statusCode: 401, code: 'UNAUTHENTICATED' });
    t.match(res.headers['www-authenticate'], /^Bearer/);
  }
  const bad = await h.anonymous({
    method: 'GET',
    url: '/api/v1/actors',
    headers: { authorization: 'Bearer sps_not-a-real-token' },
  });
  t.equal(bad.statusCode, 401);
  const session = await h.anonymous({ method: 'GET', url: '/api/v1/actors', headers: { cookie: h.cookie } });
  t.equal(session.statusCode, 401, 'the API takes bearer tokens, not the session cookie');
  for (const url of ['/login', '/docs/json', '/healthz', '/static/css/samspil.css', '/language?to=en']) {
    t.ok([200, 302, 303].includes((await h.anonymous({ method: 'GET', url })).statusCode), `${url} is public`);
  }
});

t.test('security headers on every HTML response', async (t) => {
  const h = await buildTestApp(t);
  for (const res of [
    await h.inject({ method: 'GET', url: '/actors' }),
    await h.anonymous({ method: 'GET', url: '/login' }),
    await h.inject({ method: 'GET', url: '/no/such/page' }),
  ]) {
    const csp = String(res.headers['content-security-policy']);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ]) {
      t.ok(csp.split(';').includes(directive), directive);
    }
    t.notMatch(csp, /unsafe-inline|unsafe-eval/);
    t.equal(res.headers['x-content-type-options'], 'nosniff');
    t.ok(res.headers['x-frame-options']);
    t.ok(res.headers['referrer-policy']);
    t.equal(res.headers['cache-control'], 'no-store');
  }
  const css = await h.inject({ method: 'GET', url: '/static/css/samspil.css' });
  t.not(css.headers['cache-control'], 'no-store', 'static files may be cached');
  const page = await h.inject({ method: 'GET', url: '/actors' });
  t.match(
    page.body,
    /<meta name="htmx-config" content='\{"includeIndicatorStyles":false,"allowEval":false,"selfRequestsOnly":true/,
  );
  t.match(page.body, /"code":"422","swap":true/);
  t.match(page.body, /"code":"409","swap":true/);
  t.notMatch(page.body, /<script>|<style>| style="| on[a-z]+="/, 'no inline script, style or handler');
});

t.test('CSRF: every form POST needs its token, and cross-site requests are refused', async (t) => {
  const h = await buildTestApp(t);
  const form = { name: 'Testforening', orgType: 'association', roles: 'advocate', homeMunicipalityCode: '101' };
  const post = (payload: string, headers: Record<string, string> = {}) =>
    h.inject({
      method: 'POST',
      url: '/actors',
      payload,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });
  const missing = await post(formBody(form));
  t.equal(missing.statusCode, 403, 'no token');
  t.match(missing.body, /Formularen er udløbet/);
  t.equal((await post(formBody({ ...form, _csrf: 'wrong-token-wrong-token' }))).statusCode, 403, 'a wrong token');
  const crossSite = await post(formBody({ ...form, _csrf: h.csrf }), { 'sec-fetch-site': 'cross-site' });
  t.equal(crossSite.statusCode, 403, 'Sec-Fetch-Site: cross-site');
  t.equal(
    (await post(formBody(form), { 'x-csrf-token': h.csrf, 'sec-fetch-site': 'same-origin' })).statusCode,
    303,
    'the htmx header works',
  );
  const other = await h.as('coordinator');
  t.equal((await post(formBody({ ...form, _csrf: other.csrf }))).statusCode, 403, 'another session’s token does not');
  const rows = await h.database.rows<{ n: number }>(sql`select count(*)::int as n from actors`);
  t.equal(rows[0]?.n, 1, 'only the request with a valid token wrote');
  const page = await h.inject({ method: 'GET', url: '/actors/new' });
  t.match(page.body, new RegExp(`name="_csrf" value="${h.csrf}"`), 'forms carry the token');
  t.match(page.body, new RegExp(`hx-headers='\\{"X-CSRF-Token": "${h.csrf}"\\}'`), 'and htmx sends it as a header');
});

t.test('sessions: new at login, ended on logout, deactivation, "end sessions" and the timeouts', async (t) => {
  const database = await openTestDatabase(t);
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent', SESSION_IDLE_MINUTES: '1' }), {
    database,
    logger: false,
  });
  t.teardown(() => app.close());
  const { accounts } = app.services;
  const system = { userId: null, municipalityCode: null, role: null };
  const admin = await accounts.createUser(
    system,
    { email: 'admin@kk.dk', name: 'Admin', password: PASSWORD, role: 'admin', municipalityCode: 101 },
    { system: true },
  );
  await accounts.createUser(
    system,
    { email: 'bo@kk.dk', name: 'Bo', password: PASSWORD, role: 'coordinator', municipalityCode: 101 },
    { system: true },
  );

  const login = async (email: string, password = PASSWORD) => {
    const page = await app.inject({ method: 'GET', url: '/login' });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const pre = String(page.headers['set-cookie']).split(';')[0] ?? '';
    const res = await app.inject({
      method: 'POST',
      url: '/login',
      payload: formBody({ _csrf: csrf, email, password }),
      headers: { cookie: pre, 'content-type': 'application/x-www-form-urlencoded' },
    });
    const cookie = String(res.headers['set-cookie'] ?? '').match(/samspil_session=[^;]+/)?.[0];
    return { res, cookie };
  };
  const works = async (cookie: string | undefined) =>
    (await app.inject({ method: 'GET', url: '/actors', headers: { cookie: String(cookie) } })).statusCode === 200;

  const wrong = await login('bo@kk.dk', 'not the password at all');
  t.equal(wrong.res.statusCode, 401);
  t.match(wrong.res.body, /E-mail eller adgangskode er forkert/);
  t.notOk(wrong.cookie, 'no session on a failed login');

  const first = await login('bo@kk.dk');
  t.equal(first.res.statusCode, 303);
  t.match(String(first.res.headers['set-cookie']), /HttpOnly/);
  t.match(String(first.res.headers['set-cookie']), /SameSite=Lax/);
  const second = await login('bo@kk.dk');
  t.not(second.cookie, first.cookie, 'a new session id at every login');
  t.ok((await works(first.cookie)) && (await works(second.cookie)));

  const page = await app.inject({ method: 'GET', url: '/actors', headers: { cookie: String(first.cookie) } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  await app.inject({
    method: 'POST',
    url: '/logout',
    payload: formBody({ _csrf: csrf }),
    headers: { cookie: String(first.cookie), 'content-type': 'application/x-www-form-urlencoded' },
  });
  t.notOk(await works(first.cookie), 'logout ends the session on the server');
  t.ok(await works(second.cookie), 'other sessions go on');

  const principal = { userId: admin.id, municipalityCode: 101, role: 'admin' as const };
  const bo = await accounts.findUserByEmail('bo@kk.dk');
  t.equal(await accounts.endSessionsOf(principal, bo?.id ?? 0), 1);
  t.notOk(await works(second.cookie), 'an admin’s "end sessions" ends them');

  const third = await login('bo@kk.dk');
  await accounts.setActive(principal, bo?.id ?? 0, false);
  t.notOk(await works(third.cookie), 'deactivating a user ends their sessions at once');
  t.equal((await login('bo@kk.dk')).res.statusCode, 401, 'and they cannot sign in');
  await accounts.setActive(principal, bo?.id ?? 0, true);

  const idle = await login('bo@kk.dk');
  await database.rows(sql`update sessions set last_seen_at = now() - interval '2 minutes' where ended_at is null`);
  t.notOk(await works(idle.cookie), 'the idle timeout');
  const absolute = await login('bo@kk.dk');
  await database.rows(sql`update sessions set expires_at = now() - interval '1 second' where ended_at is null`);
  t.notOk(await works(absolute.cookie), 'the absolute timeout');

  const hashes = await database.rows<{ password_hash: string }>(sql`select password_hash from users`);
  t.ok(
    hashes.every((r) => r.password_hash.startsWith('$argon2id$')),
    'passwords are hashed with argon2id',
  );
});

t.test('the login rate limit, per account', async (t) => {
  const h = await buildTestApp(t);
  const { accounts } = h.app.services;
  for (let i = 0; i < 5; i++) {
    await t.rejects(accounts.login(h.user.email, 'wrong password here', `10.0.0.${i}`), { code: 'LOGIN_FAILED' });
  }
  await t.rejects(
    accounts.login(h.user.email, PASSWORD, '10.0.0.99'),
    { code: 'LOGIN_RATE_LIMITED', statusCode: 429 },
    'even the right password waits',
  );
  const audit = await h.database.rows<{ action: string; n: number }>(
    sql`select action, count(*)::int as n from audit_log where entity = 'login' group by action order by action`,
  );
  t.same(
    audit,
    [
      { action: 'login', n: 1 },
      { action: 'login_failed', n: 5 },
      { action: 'rate_limited', n: 1 },
    ],
    'log-ins and failed log-ins are in the audit trail',
  );
});

t.test('passwords: 12 to 128 characters', async (t) => {
  const h = await buildTestApp(t);
  const create = (password: string, email: string) =>
    h.postForm('/admin/users', { name: 'Ny Bruger', email, password, role: 'viewer' });
  const short = await create('a'.repeat(11), 'a@kk.dk');
  t.equal(short.statusCode, 422);
  t.match(short.body, /mindst 12 tegn/);
  t.equal((await create('a'.repeat(129), 'b@kk.dk')).statusCode, 422);
  t.equal((await create('a'.repeat(12), 'c@kk.dk')).statusCode, 303);
  t.equal((await create('a'.repeat(128), 'd@kk.dk')).statusCode, 303);
});

t.test('cookies are Secure with the __Host- prefix behind HTTPS', async (t) => {
  const database = await openTestDatabase(t);
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent', HTTPS: 'true' }), { database, logger: false });
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/setup' });
  const cookie = String(res.headers['set-cookie']);
  t.match(cookie, /^__Host-samspil_csrf=/);
  t.match(cookie, /Secure/);
  t.match(cookie, /Path=\//);
  t.notMatch(cookie, /Domain=/);
  t.match(String(res.headers['strict-transport-security']), /max-age=/);
});

t.test('the audit trail is append-only in SQL', async (t) => {
  const h = await buildTestApp(t);
  const rows = await h.database.rows<{ n: number }>(sql`select count(*)::int as n from audit_log`);
  t.ok((rows[0]?.n ?? 0) > 0);
  const refusal = async (statement: ReturnType<typeof sql>) => {
    try {
      await h.database.rows(statement);
      return 'no error';
    } catch (err) {
      const e = err as Error & { cause?: Error };
      return e.cause?.message ?? e.message;
    }
  };
  t.match(
    await refusal(sql`update audit_log set action = 'tampered'`),
    /audit_log is append-only: UPDATE/,
    'UPDATE raises',
  );
  t.match(await refusal(sql`delete from audit_log`), /audit_log is append-only: DELETE/, 'DELETE raises');
  t.match(await refusal(sql`truncate audit_log`), /audit_log is append-only: TRUNCATE/, 'TRUNCATE raises');
  const after = await h.database.rows<{ n: number }>(
    sql`select count(*)::int as n from audit_log where action = 'tampered'`,
  );
  t.equal(after[0]?.n, 0);
});
