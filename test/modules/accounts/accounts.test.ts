import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import t from 'tap';
import { buildApp } from '../../../src/app.ts';
import { openDatabase } from '../../../src/db/client.ts';
import { buildTestApp, formBody, onPostgres, TEST_ENV, testConfig } from '../../helper.ts';
import { copyPgliteTemplate, root, TS_LOADER } from '../../template.ts';

const run = promisify(execFile);

t.test('first run: every page leads to setup, which creates the first admin and signs them in', async (t) => {
  const h = await buildTestApp(t, { users: false });
  for (const url of ['/', '/actors', '/login', '/admin/users']) {
    const res = await h.anonymous({ method: 'GET', url });
    t.equal(res.statusCode, 303, url);
    t.equal(res.headers.location, '/setup');
  }
  const page = await h.anonymous({ method: 'GET', url: '/setup' });
  t.equal(page.statusCode, 200);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const cookie = String(page.headers['set-cookie']).split(';')[0] ?? '';
  const post = (form: Record<string, string>) =>
    h.anonymous({
      method: 'POST',
      url: '/setup',
      payload: formBody({ _csrf: csrf, ...form }),
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    });

  const short = await post({ name: 'Anne', email: 'anne@kk.dk', password: 'kort', municipalityCode: '101' });
  t.equal(short.statusCode, 422);
  t.match(short.body, /Adgangskoden skal være mindst 12 tegn/);
  t.notMatch(short.body, /value="kort"/, 'the password is not echoed back');

  const ok = await post({
    name: 'Anne Admin',
    email: 'Anne@KK.dk',
    password: 'en lang adgangskode',
    municipalityCode: '101',
  });
  t.equal(ok.statusCode, 303);
  const session = String(ok.headers['set-cookie']).match(/samspil_session=[^;]+/)?.[0];
  t.ok(session, 'signed in at once');
  const list = await h.anonymous({ method: 'GET', url: '/actors', headers: { cookie: String(session) } });
  t.equal(list.statusCode, 200);
  t.match(list.body, /Anne Admin/);

  t.equal((await h.anonymous({ method: 'GET', url: '/setup' })).headers.location, '/login', 'setup is closed now');
  const again = await post({
    name: 'Mallory',
    email: 'm@x.dk',
    password: 'en anden lang kode',
    municipalityCode: '751',
  });
  t.equal(again.statusCode, 303);
  t.equal(again.headers.location, '/login', 'a second setup creates nothing');
  t.equal(await h.app.services.accounts.findUserByEmail('m@x.dk'), undefined);
  t.equal(
    (await h.app.services.accounts.findUserByEmail('anne@kk.dk'))?.role,
    'admin',
    'e-mail matched case-insensitively',
  );
});

t.test('the account page: API keys are created once and revoked by their owner', async (t) => {
  const h = await buildTestApp(t);
  const page = await h.inject({ method: 'GET', url: '/account' });
  t.match(page.body, /<h1>Din konto<\/h1>/);
  const created = await h.postForm('/account/tokens', { name: 'Økonomisystem' });
  t.equal(created.statusCode, 201);
  const token = /<code class="samspil-token">([^<]+)<\/code>/.exec(created.body)?.[1] ?? '';
  t.match(token, /^sps_/);
  const api = await h.anonymous({
    method: 'GET',
    url: '/api/v1/municipalities',
    headers: { authorization: `Bearer ${token}` },
  });
  t.equal(api.statusCode, 200, 'the new key works');
  const listed = await h.inject({ method: 'GET', url: '/account' });
  t.notMatch(listed.body, new RegExp(token), 'the key is never shown again');
  const id =
    /action="\/account\/tokens\/(\d+)\/revoke"[\s\S]*?Økonomisystem/.exec(listed.body)?.[1] ??
    /<td>Økonomisystem<\/td>[\s\S]*?action="\/account\/tokens\/(\d+)\/revoke"/.exec(listed.body)?.[1];
  t.ok(id);
  t.equal((await h.postForm(`/account/tokens/${id}/revoke`, { confirm: 'yes' })).statusCode, 303);
  const revoked = await h.anonymous({
    method: 'GET',
    url: '/api/v1/municipalities',
    headers: { authorization: `Bearer ${token}` },
  });
  t.equal(revoked.statusCode, 401, 'a revoked key is refused');
  const other = await h.as('coordinator');
  t.equal(
    (await other.postForm(`/account/tokens/${id}/revoke`, { confirm: 'yes' })).statusCode,
    404,
    'not someone else’s key',
  );
});

t.test('npm run cli -- user create / token create', { skip: onPostgres && 'PGlite only' }, async (t) => {
  const dataDir = await copyPgliteTemplate('samspil-cli-');
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = { ...process.env, ...TEST_ENV, DATA_DIR: dataDir, DATABASE_URL: '' };
  const cli = (...args: string[]) => run(process.execPath, [...TS_LOADER, 'src/cli.ts', ...args], { cwd: root, env });

  await t.rejects(
    cli(
      'user',
      'create',
      '--email',
      'bo@aarhus.dk',
      '--name',
      'Bo',
      '--password',
      'kort',
      '--role',
      'finance',
      '--municipality',
      '751',
    ),
    /at least 12 characters/,
  );
  const created = await cli(
    'user',
    'create',
    '--email',
    'bo@aarhus.dk',
    '--name',
    'Bo Berg',
    '--password',
    'en lang adgangskode',
    '--role',
    'finance',
    '--municipality',
    '751',
  );
  t.match(created.stdout, /Created finance bo@aarhus\.dk/);
  const { stdout } = await cli('token', 'create', '--email', 'bo@aarhus.dk');
  const token = stdout.trim().split('\n').at(-1) ?? '';
  t.match(token, /^sps_[\w-]{40,}$/, 'the token is the last line');

  const database = await openDatabase({ kind: 'pglite', dataDir });
  const app = await buildApp(testConfig(), { database, logger: false });
  t.teardown(async () => {
    await app.close();
    await database.close();
  });
  const stored = await database.rows<{ token_hash: string }>(
    (await import('drizzle-orm')).sql`select token_hash from api_tokens`,
  );
  t.equal(stored.length, 1);
  t.not(stored[0]?.token_hash, token, 'only the hash is stored');
  const res = await app.inject({ method: 'GET', url: '/api/v1/actors', headers: { authorization: `Bearer ${token}` } });
  t.equal(res.statusCode, 200, 'the token signs in to the API');
  const write = await app.inject({
    method: 'POST',
    url: '/api/v1/actors',
    headers: { authorization: `Bearer ${token}` },
    payload: { name: 'X', orgType: 'association', roles: ['advocate'], homeMunicipalityCode: 751 },
  });
  t.equal(write.statusCode, 403, 'finance does not write actors');
});
