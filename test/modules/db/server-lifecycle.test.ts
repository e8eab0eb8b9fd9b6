import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openDatabase } from '../../../src/db/client.ts';
import { onPostgres } from '../../helper.ts';
import { copyPgliteTemplate, root, TS_LOADER } from '../../template.ts';

/** Starts `src/server.ts` as `npm start` does, and resolves with its URL once it listens. */
function startServer(env: Record<string, string>): {
  child: ChildProcess;
  ready: Promise<string>;
  exit: Promise<{ code: number | null; output: string }>;
} {
  const child = spawn(process.execPath, [...TS_LOADER, 'src/server.ts'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: '', PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m?.[1]) resolve(m[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', () => reject(new Error(`server exited before listening:\n${output}`)));
  });
  ready.catch(() => {});
  const exit = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, output })),
  );
  return { child, ready, exit };
}

t.test(
  'npm start on PGlite: serves, locks its data directory, shuts down gracefully',
  { skip: onPostgres && 'PGlite only' },
  async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'samspil-lifecycle-'));
    t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));

    const first = startServer({ DATA_DIR: dataDir });
    t.teardown(() => first.child.kill('SIGKILL'));
    const url = await first.ready;
    const page = await fetch(`${url}/actors`, { redirect: 'manual' });
    t.equal(page.status, 303, 'with no user yet, pages lead to setup');
    t.equal(page.headers.get('location'), '/setup');
    const setup = await fetch(`${url}/setup`);
    const html = await setup.text();
    t.match(html, /<html lang="da">/);
    t.match(html, /Opret den første administrator/);
    t.ok(existsSync(join(dataDir, 'samspil.lock')), 'the data directory is locked');

    const second = startServer({ DATA_DIR: dataDir });
    const refused = await second.exit;
    t.equal(refused.code, 1, 'a second process on the same data directory stops');
    t.match(refused.output, /in use by another Samspil process/, 'with a clear message');

    // The first admin, through the setup form with its CSRF cookie and field.
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const cookie = (setup.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const created = await fetch(`${url}/setup`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({
        _csrf: csrf,
        name: 'Anne Admin',
        email: 'anne@kk.dk',
        password: 'en lang adgangskode',
        municipalityCode: '101',
      }).toString(),
    });
    t.equal(created.status, 303, 'the first process was not disturbed, and setup signs the admin in');
    const session = (created.headers.get('set-cookie') ?? '').match(/samspil_session=[^;]+/)?.[0] ?? '';
    const list = await fetch(`${url}/actors`, { headers: { cookie: session } });
    t.equal(list.status, 200);
    t.match(await list.text(), /<h1>Aktører<\/h1>/, 'the Danish actor list');

    first.child.kill('SIGTERM');
    const stopped = await first.exit;
    t.equal(stopped.code, 0, 'SIGTERM shuts down cleanly');
    t.equal(readFileSync(join(dataDir, 'samspil.lock'), 'utf8'), '', 'the lock is released (its owner note cleared)');

    const reopened = await openDatabase({ kind: 'pglite', dataDir });
    t.teardown(() => reopened.close());
    const rows = await reopened.rows<{ email: string; role: string }>(
      (await import('drizzle-orm')).sql`select email, role from users`,
    );
    t.same(rows, [{ email: 'anne@kk.dk', role: 'admin' }], 'the write survived the restart');
  },
);

t.test(
  'a lock left by a process that no longer runs is taken over',
  { skip: onPostgres && 'PGlite only' },
  async (t) => {
    const dataDir = await copyPgliteTemplate('samspil-stale-');
    t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
    writeFileSync(join(dataDir, 'samspil.lock'), '2147483646');
    const database = await openDatabase({ kind: 'pglite', dataDir });
    t.teardown(() => database.close());
    t.pass('opened despite the stale lock');
  },
);
