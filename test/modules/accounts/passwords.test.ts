import { sql } from 'drizzle-orm';
import t from 'tap';
import { da } from '../../../src/i18n/da.ts';
import { flashOf, followRedirect } from '../../flash.ts';
import { buildTestApp, type Client, formBody, loginForm, type TestApp } from '../../helper.ts';

/**
 * Passwords: a user changes their own (the current one checked and counted as a sign-in is, their
 * other sessions ended), and an admin sets a temporary one that must be changed before anything else.
 */

const PASSWORD = 'en lang og hemmelig adgangskode';
const NEW_PASSWORD = 'et helt nyt og langt kodeord';

/** Posts the change-password form as `client`, from the address given. */
const changePassword = (client: Client, form: Record<string, string>, ip = '10.9.0.1') =>
  client.inject({
    method: 'POST',
    url: '/account/password',
    remoteAddress: ip,
    payload: formBody({ _csrf: client.csrf, ...form }),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });

/** A browser signed in with the login form: its cookie, and whether it may reach a page. */
async function signIn(h: TestApp, email: string, password: string, ip = '10.9.0.2') {
  const res = await (await loginForm(h.app))(email, password, ip);
  const cookie = String(res.headers['set-cookie'] ?? '')
    .split(';')[0]
    ?.replace(/^.*?(samspil_session=)/, '$1');
  return { res, cookie: cookie ?? '' };
}

/**
 * One app for the file. Each test has users of its own; the test that counts the failures from an
 * address (10.9.0.1) and the one that runs into the sign-in limit (10.9.0.4) each fail from an address
 * no other test uses, and the admin who demotes themself is the only admin of a municipality no other
 * test has an admin in.
 */
const h = await buildTestApp(t);

const auditActions = async (h: TestApp, userId: number) =>
  (
    await h.database.rows<{ action: string; after: Record<string, unknown> | null }>(
      sql`select action, after from audit_log where entity in ('user', 'login') and entity_id = ${String(userId)} order by id`,
    )
  ).map((r) => r.action);

t.test('changing one’s own password', async (t) => {
  const anne = await h.as('coordinator', 101);
  const elsewhere = await signIn(h, anne.user.email, PASSWORD);
  t.equal(elsewhere.res.statusCode, 303, 'Anne is signed in on a second device too');

  const page = await anne.inject({ method: 'GET', url: '/account' });
  t.ok(page.body.includes('href="/account/password"'), 'the account page links to the change-password page');
  const form = await anne.inject({ method: 'GET', url: '/account/password' });
  t.equal(form.statusCode, 200);
  t.ok(form.body.includes(da['account.password.current']));

  const mismatch = await changePassword(anne, {
    currentPassword: PASSWORD,
    newPassword: NEW_PASSWORD,
    repeatPassword: `${NEW_PASSWORD}!`,
  });
  t.equal(mismatch.statusCode, 422, 'two different new passwords: refused');
  t.ok(mismatch.body.includes(da['account.password.mismatch']));
  const short = await changePassword(anne, { currentPassword: PASSWORD, newPassword: 'kort', repeatPassword: 'kort' });
  t.equal(short.statusCode, 422, 'the same rules as elsewhere: 12 characters at least');
  t.ok(short.body.includes(da['account.password.tooShort']));

  const wrong = await changePassword(anne, {
    currentPassword: 'forkert adgangskode',
    newPassword: NEW_PASSWORD,
    repeatPassword: NEW_PASSWORD,
  });
  t.equal(wrong.statusCode, 422, 'a wrong current password: refused');
  t.ok(wrong.body.includes(da['account.password.wrongCurrent']), 'beside the field');
  const counted = await h.database.rows<{ n: number }>(
    sql`select count(*)::int as n from login_failures where ip = '10.9.0.1'`,
  );
  t.equal(counted[0]?.n, 1, 'and counted as a failed sign-in is');
  t.ok((await auditActions(h, anne.user.id)).includes('password_change_failed'), 'and audited');

  const ok = await changePassword(anne, {
    currentPassword: PASSWORD,
    newPassword: NEW_PASSWORD,
    repeatPassword: NEW_PASSWORD,
  });
  t.equal(ok.statusCode, 303);
  t.equal(ok.headers.location, '/account');
  const after = await followRedirect(anne, ok);
  t.equal(after.statusCode, 200, 'this session goes on');
  t.equal(flashOf(after.body), da['flash.passwordChanged'], 'and the user is told it worked');
  const other = await h.app.inject({ method: 'GET', url: '/actors', headers: { cookie: elsewhere.cookie } });
  t.equal(other.statusCode, 303, 'the other session has ended');
  t.match(String(other.headers.location), /^\/login/);

  t.equal((await signIn(h, anne.user.email, PASSWORD)).res.statusCode, 401, 'the old password no longer works');
  t.equal((await signIn(h, anne.user.email, NEW_PASSWORD)).res.statusCode, 303, 'the new one does');
  const [audit] = await h.database.rows<{ after: string }>(
    sql`select after::text as after from audit_log where action = 'change_password' and entity_id = ${String(anne.user.id)}`,
  );
  t.match(audit?.after, /"endedSessions": ?1/, 'audited, with the sessions ended');
  t.notMatch(audit?.after, /argon2/, 'and no hash in the trail');
});

t.test('the current password is counted against the sign-in limit', async (t) => {
  const bo = await h.as('viewer', 101);
  for (let i = 0; i < 5; i++) {
    const res = await changePassword(
      bo,
      { currentPassword: `forkert ${i}`, newPassword: NEW_PASSWORD, repeatPassword: NEW_PASSWORD },
      '10.9.0.4',
    );
    t.equal(res.statusCode, 422, `wrong current password ${i + 1}`);
  }
  const limited = await changePassword(
    bo,
    { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, repeatPassword: NEW_PASSWORD },
    '10.9.0.4',
  );
  t.equal(limited.statusCode, 429, 'at the limit even the right password is not checked');
  t.ok(limited.body.includes(da['account.login.rateLimited']));
  t.equal((await signIn(h, bo.user.email, NEW_PASSWORD, '10.9.0.3')).res.statusCode, 429, 'nor signing in');
});

t.test('an admin sets a temporary password, which must be changed before anything else', async (t) => {
  const carl = await h.as('finance', 101);
  const edit = await h.inject({ method: 'GET', url: `/admin/users/${carl.user.id}/edit` });
  t.equal(edit.statusCode, 200);
  t.ok(edit.body.includes(da['users.reset.password']), 'the edit page has the temporary-password form');

  const short = await h.postForm(`/admin/users/${carl.user.id}/password`, { password: 'kort' });
  t.equal(short.statusCode, 422, 'the same password rules');
  t.ok(short.body.includes(da['account.password.tooShort']));

  const TEMP = 'midlertidig kode til carl';
  const reset = await h.postForm(`/admin/users/${carl.user.id}/password`, { password: TEMP });
  t.equal(reset.statusCode, 303);
  const done = await h.inject({ method: 'GET', url: String(reset.headers.location) });
  t.ok(done.body.includes('role="status"'), 'the admin is told it worked');
  t.equal((await carl.inject({ method: 'GET', url: '/' })).statusCode, 303, 'every session of the user has ended');
  const byKey = await carl.inject({ method: 'GET', url: '/api/v1/actors' });
  t.equal(byKey.statusCode, 200, 'API keys are not affected');
  t.ok((await auditActions(h, carl.user.id)).includes('reset_password'), 'audited');

  t.equal((await signIn(h, carl.user.email, PASSWORD)).res.statusCode, 401, 'the old password is gone');
  const { res, cookie } = await signIn(h, carl.user.email, TEMP);
  t.equal(res.statusCode, 303, 'the temporary password signs in');
  const as = (url: string, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'GET', url, headers: { cookie, ...headers } });
  for (const url of ['/', '/actors', '/grants', '/account']) {
    const page = await as(url);
    t.equal(page.statusCode, 303, `${url} leads to the change-password page`);
    t.equal(page.headers.location, '/account/password');
  }
  const fragment = await as('/actors', { 'hx-request': 'true' });
  t.equal(fragment.statusCode, 403, 'an htmx request is refused');
  t.equal(fragment.headers['hx-redirect'], '/account/password', 'and sent to the page');
  const api = await as('/api/v1/actors');
  t.equal(api.statusCode, 403, 'the API refuses the session');
  t.equal(api.json().code, 'PASSWORD_CHANGE_REQUIRED', 'with a coded error');
  const form = await as('/account/password');
  t.equal(form.statusCode, 200);
  t.ok(form.body.includes(da['account.password.mustChange']), 'the page says why');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
  const post = (url: string, body: Record<string, string>) =>
    h.app.inject({
      method: 'POST',
      url,
      payload: formBody({ _csrf: csrf, ...body }),
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    });
  t.equal((await post('/account/tokens', { name: 'Smutvej' })).statusCode, 303, 'a form elsewhere is refused too');
  t.equal(
    (await h.database.rows(sql`select id from api_tokens where name = 'Smutvej'`)).length,
    0,
    'and wrote nothing',
  );
  const changed = await post('/account/password', {
    currentPassword: TEMP,
    newPassword: NEW_PASSWORD,
    repeatPassword: NEW_PASSWORD,
  });
  t.equal(changed.statusCode, 303);
  t.equal((await as('/actors')).statusCode, 200, 'once changed, every page opens again');
  const [flag] = await h.database.rows<{ must: boolean }>(
    sql`select must_change_password as must from users where id = ${carl.user.id}`,
  );
  t.equal(flag?.must, false);
});

t.test('a user an admin creates has no password until they choose one through the welcome link', async (t) => {
  const created = await h.postForm('/admin/users', {
    name: 'Dorte Ny',
    email: 'Dorte@KK.dk',
    password: PASSWORD,
    role: 'viewer',
  });
  t.equal(created.statusCode, 303);
  const [row] = await h.database.rows<{ id: number; email: string; hash: string; must: boolean }>(
    sql`select id, email, password_hash as hash, must_change_password as must from users where email = 'dorte@kk.dk'`,
  );
  t.ok(row, 'created, the address in lower case');
  t.match(row?.hash, /^\$argon2id\$/, 'the stored hash is an argon2id hash (of a secret nobody was told)');
  t.equal(row?.must, false);
  t.equal(
    (await signIn(h, 'dorte@kk.dk', PASSWORD)).res.statusCode,
    401,
    'a password typed by the admin signs nothing in',
  );
  const [mail] = await h.database.rows<{ kind: string; recipient: string }>(
    sql`select kind, recipient from mail_outbox where user_id = ${row?.id ?? 0}`,
  );
  t.same(mail, { kind: 'welcome', recipient: 'dorte@kk.dk' }, 'a welcome mail is queued with the user');
  const [link] = await h.database.rows<{ purpose: string; days: number }>(
    sql`select purpose, round(extract(epoch from expires_at - created_at) / 86400)::int as days
        from password_resets where user_id = ${row?.id ?? 0}`,
  );
  t.same(link, { purpose: 'welcome', days: 7 }, 'its link lives 7 days');
  t.same(await auditActions(h, row?.id ?? 0), ['create', 'welcome_link_sent', 'login_failed']);
});

t.test('an admin edits a user’s name, role and municipality', async (t) => {
  const eva = await h.as('viewer', 101);
  const save = (name: string, role: string, municipalityCode: string, version: string) =>
    h.postForm(`/admin/users/${eva.user.id}`, { email: eva.user.email, name, role, municipalityCode, version });
  const form = await h.inject({ method: 'GET', url: `/admin/users/${eva.user.id}/edit` });
  t.equal(form.statusCode, 200);
  t.ok(form.body.includes('name="version" value="1"'), 'the form carries the version read');

  const saved = await save('Eva Ændret', 'coordinator', '101', '1');
  t.equal(saved.statusCode, 303);
  const [row] = await h.database.rows<{ name: string; role: string; version: number }>(
    sql`select name, role, version from users where id = ${eva.user.id}`,
  );
  t.same(row, { name: 'Eva Ændret', role: 'coordinator', version: 2 });
  const [audit] = await h.database.rows<{ before: { role: string }; after: { role: string; name: string } }>(
    sql`select before, after from audit_log where entity = 'user' and action = 'update' and entity_id = ${String(eva.user.id)}`,
  );
  t.equal(audit?.before.role, 'viewer', 'audited: before');
  t.equal(audit?.after.role, 'coordinator', 'and after');
  t.equal(
    (await eva.inject({ method: 'POST', url: '/api/v1/target-groups', payload: {} })).statusCode,
    400,
    'the new role holds at once (a coordinator may write target groups: the body is what is wrong)',
  );

  const stale = await save('Eva Gammel', 'viewer', '101', '1');
  t.equal(stale.statusCode, 409, 'a stale version: refused');
  t.ok(stale.body.includes('Eva Ændret'), 'with the current values');
  t.ok(stale.body.includes('name="version" value="2"'));

  const moved = await save('Eva Ændret', 'coordinator', '751', '2');
  t.equal(moved.statusCode, 403, 'not to a municipality whose users the admin does not manage');

  const empty = await save('', 'coordinator', '101', '2');
  t.equal(empty.statusCode, 422, 'a name is needed');
});

t.test('the last admin of a municipality cannot demote themself', async (t) => {
  // Frederiksberg (147) has no admin but this one: the file's admin is København's (101).
  const admin = await h.as('admin', 147);
  const demote = (version: number) =>
    admin.postForm(`/admin/users/${admin.user.id}`, {
      email: admin.user.email,
      name: 'Test admin',
      role: 'viewer',
      municipalityCode: '147',
      version: String(version),
    });
  const last = await demote(1);
  t.equal(last.statusCode, 409, 'the only admin: refused');
  t.ok(last.body.includes(da['users.edit.lastAdmin']), 'saying why');
  const [row] = await h.database.rows<{ role: string }>(sql`select role from users where id = ${admin.user.id}`);
  t.equal(row?.role, 'admin', 'and still admin');

  await h.as('admin', 147);
  t.equal((await demote(1)).statusCode, 303, 'with another admin: allowed');
  t.equal((await admin.inject({ method: 'GET', url: '/admin/users' })).statusCode, 403, 'and no longer an admin');
});
