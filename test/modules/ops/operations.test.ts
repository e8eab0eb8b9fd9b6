import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { buildApp } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config.ts';
import { openDatabase } from '../../../src/db/client.ts';
import { actorInput } from '../../factories.ts';
import { buildTestApp, formBody, onPostgres, openTestDatabase, signedInClient, TEST_ENV } from '../../helper.ts';
import { copyPgliteTemplate, root, TS_LOADER } from '../../template.ts';

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

/** The app on a test database, logging at info into `lines`. */
async function appWithLogs(t: Test) {
  const lines: string[] = [];
  const database = await openTestDatabase(t);
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'info' }), {
    database,
    logStream: { write: (line: string) => void lines.push(line) },
  });
  t.teardown(() => app.close());
  return { lines, database, app };
}

t.test('logs: structured, with request ids, and no personal data', async (t) => {
  const { lines, app } = await appWithLogs(t);
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

t.test('logs: a failed statement by its code and fingerprint, never its values', async (t) => {
  const { lines, database, app } = await appWithLogs(t);
  const { sql } = await import('drizzle-orm');
  // Values an upload could carry: names, one with quotes, one with a NUL character.
  const names = ['Foreningen Hemmelig Værdi 4711', 'Mette "Citat" Persondata', 'Nul\u0000Tegn'];
  const failing = () => database.rows(sql`select length(${names[0]}) + length(${names[1]}) / 0 as n`);
  const admin = await signedInClient(app, 'admin', 101);
  // A request whose statement fails is answered 500 and logged by the error plugin.
  app.get('/ops-test/failing-statement', async () => failing());
  const res = await admin.inject({ method: 'GET', url: '/ops-test/failing-statement' });
  t.equal(res.statusCode, 500);
  // The import runner's way ({ err }, message), pino's own (the error as the only argument), and
  // Fastify's default handler's (the error's message as the line's message).
  const err = await failing().then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof Error, 'the statement fails');
  app.log.error({ err, importId: 1 }, 'import failed');
  app.log.error(err);
  app.log.error({ err }, (err as Error).message);
  // PostgreSQL quotes the value itself in some messages (22P02); a NUL character cannot be stored (22021).
  for (const query of [sql`select ${names[0]}::int as n`, sql`select length(${names[2]}) as n`]) {
    const e = await database.rows(query).then(
      () => undefined,
      (e: unknown) => e,
    );
    app.log.error({ err: e }, 'import failed');
  }

  const records = lines.map((l) => JSON.parse(l));
  const failures = records.filter((r) => r.err);
  t.equal(failures.length, 6, 'six error lines');
  for (const r of failures) {
    t.match(r.err.code, /^(22012|22P02|22021)$/, 'each with its SQLSTATE');
    t.match(
      r.err.statement,
      /^select (length\(\$1\) \+ length\(\$2\) \/ \?|\$1::int|length\(\$1\)) as n #[0-9a-f]{8}$/,
    );
    t.notOk('params' in r.err || 'parameters' in r.err || 'query' in r.err, 'no parameters or statement text');
  }
  t.match(failures[0].err.message, /division by zero/);
  t.match(failures[4].err.message, /invalid input syntax for type integer: "\[skjult\]"/);
  t.match(failures[5].err.message, /invalid byte sequence/);
  const text = lines.join('');
  for (const value of ['Hemmelig', 'Persondata', 'Citat', 'Tegn', '\\u0000']) {
    t.notOk(text.includes(value), `the logs do not hold ${value}`);
  }
  // The number in a name, as a word of its own: the lines' times, durations and hexadecimal ids hold
  // digits, and "4711" inside one of them (a response time of 0.34711 ms) is not the name's.
  t.notMatch(text, /(?<![\w.])4711(?![\w.])/, 'the logs do not hold 4711');
});

t.test('backup and restore of the embedded database', { skip: onPostgres && 'PGlite only' }, async (t) => {
  // The CLI works on a copy of the migrated template, as on a data directory in use.
  const dataDir = await copyPgliteTemplate('samspil-backup-');
  const dir = mkdtempSync(join(tmpdir(), 'samspil-backup-file-'));
  t.teardown(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });
  const file = join(dir, 'samspil.tar.gz');
  const env = { ...process.env, ...TEST_ENV, DATA_DIR: dataDir, DATABASE_URL: '' };
  const cli = (...args: string[]) => run(process.execPath, [...TS_LOADER, 'src/cli.ts', ...args], { cwd: root, env });
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
