import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { buildApp } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config.ts';
import { openDatabase } from '../../../src/db/client.ts';
import { actorInput } from '../../factories.ts';
import { buildTestApp, formBody, onPostgres, openTestDatabase } from '../../helper.ts';
import { root } from '../../template.ts';

const run = promisify(execFile);

t.test('/readyz: the database answers and every migration is applied', async (t) => {
  const h = await buildTestApp(t, { users: false });
  const res = await h.anonymous({ method: 'GET', url: '/readyz' });
  t.equal(res.statusCode, 200);
  t.match(res.json(), { status: 'ready' });
  t.equal(res.json().migrations.applied, res.json().migrations.expected);
  t.ok(res.json().migrations.expected >= 7);
  await h.database.rows(
    (await import('drizzle-orm'))
      .sql`delete from drizzle.__drizzle_migrations where id = (select max(id) from drizzle.__drizzle_migrations)`,
  );
  const behind = await h.anonymous({ method: 'GET', url: '/readyz' });
  t.equal(behind.statusCode, 503, 'not ready while a migration is missing');
  t.equal(behind.json().status, 'migrating');
});

t.test('logs: structured, with request ids, and no personal data', async (t) => {
  const lines: string[] = [];
  const database = await openTestDatabase(t);
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'info' }), {
    database,
    logStream: { write: (line: string) => void lines.push(line) },
  });
  t.teardown(() => app.close());
  const email = 'logtest@kk.dk';
  const password = 'en meget hemmelig adgangskode';
  await app.services.accounts.createUser(
    { userId: null, municipalityCode: null, role: null } as never,
    { email, name: 'Lone Logtest', password, role: 'admin', municipalityCode: 101 },
    { system: true },
  );
  const pre = await app.inject({ method: 'GET', url: '/login' });
  const csrfCookie = String(pre.headers['set-cookie']).split(';')[0] ?? '';
  const csrf = /name="_csrf" value="([^"]+)"/.exec(pre.body)?.[1] ?? '';
  const login = await app.inject({
    method: 'POST',
    url: '/login?next=%2Factors%3Fq%3DMette',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie, 'x-request-id': 'proxy-42' },
    payload: formBody({ email, password, _csrf: csrf }),
  });
  t.equal(login.statusCode, 303);
  t.equal(login.headers['x-request-id'], 'proxy-42', 'a sane request id from the proxy is kept and sent back');
  const session = String(login.headers['set-cookie']).split(';')[0] ?? '';
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/actors',
    headers: { cookie: session },
    payload: actorInput({
      name: 'Foreningen Hemmelig',
      contacts: [{ name: 'Mette Persondata', email: 'mette@privat.dk' }],
    }),
  });
  t.ok([201, 401].includes(created.statusCode));
  const odd = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'bad id with spaces\n' } });
  t.match(String(odd.headers['x-request-id']), /^[0-9a-f-]{36}$/, 'an odd one is replaced');
  await app.inject({ method: 'GET', url: '/calendar/abcdefghijklmnopqrstuvwxyz012345.ics' });

  const text = lines.join('');
  const records = lines.map((l) => JSON.parse(l));
  t.ok(records.length > 4, 'JSON lines');
  t.ok(
    records.some((r) => r.reqId === 'proxy-42'),
    'lines carry the request id',
  );
  for (const secret of [
    email,
    password,
    'Lone Logtest',
    'Mette Persondata',
    'mette@privat.dk',
    csrf,
    session.split('=')[1] ?? 'x',
    'abcdefghijklmnopqrstuvwxyz012345',
    'q=Mette',
  ]) {
    t.notOk(text.includes(secret), `the logs do not hold ${secret.slice(0, 12)}…`);
  }
});

t.test('backup and restore of the embedded database', { skip: onPostgres && 'PGlite only' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samspil-backup-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = join(dir, 'data');
  const file = join(dir, 'samspil.tar.gz');
  const env = { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'silent' };
  const cli = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root, env });
  const userCount = async () => {
    const db = await openDatabase({ kind: 'pglite', dataDir });
    try {
      const [row] = await db.rows<{ n: number }>(
        (await import('drizzle-orm')).sql`select count(*)::int as n from users`,
      );
      return Number(row?.n);
    } finally {
      await db.close();
    }
  };
  await cli(
    'user',
    'create',
    '--email',
    'a@kk.dk',
    '--name',
    'A',
    '--password',
    'en lang adgangskode',
    '--role',
    'admin',
    '--municipality',
    '101',
  );
  const backup = await cli('backup', '--to', file);
  t.match(backup.stdout, /Backed up/);
  await cli(
    'user',
    'create',
    '--email',
    'b@kk.dk',
    '--name',
    'B',
    '--password',
    'en lang adgangskode',
    '--role',
    'viewer',
    '--municipality',
    '101',
  );
  t.equal(await userCount(), 2);
  await t.rejects(cli('restore', '--from', file), /holds a database/, 'no restore over data without --force');
  await cli('restore', '--from', file, '--force');
  t.equal(await userCount(), 1, 'the data as it was at the backup');
  const locked = await openDatabase({ kind: 'pglite', dataDir });
  await t.rejects(cli('backup', '--to', `${file}.2`), /in use by another Samspil process/, 'not while Samspil runs');
  await locked.close();
});
