import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import t from 'tap';
import { grantCsv } from '../../../bench/grant-csv.ts';
import { type Database, openDatabase } from '../../../src/db/client.ts';
import { migrateDatabase } from '../../../src/db/migrate.ts';
import { system } from '../../../src/lib/principal.ts';
import { createAccountService } from '../../../src/modules/accounts/accounts.service.ts';
import { createMunicipalityService } from '../../../src/modules/municipalities/municipalities.service.ts';
import { actorInput } from '../../factories.ts';
import { onPostgres, TEST_ENV, testConfig } from '../../helper.ts';
import { copyPgliteTemplate, postgresUrls, root, TS_LOADER } from '../../template.ts';

/**
 * The real server, killed with SIGKILL in the middle of writes, ten times over: every write it
 * acknowledged is there when it starts again, and it starts again by itself (a stale PGlite lock is
 * taken over). And on SIGTERM it answers the requests in flight before it stops.
 */
// One round in `npm test`; `npm run test:crash` runs ten.
const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 1);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Target {
  env: Record<string, string>;
  open(): Promise<Database>;
  cleanup(): Promise<void>;
}

let targets = 0;

async function target(): Promise<Target> {
  if (onPostgres) {
    const { admin, withDb, base, template } = postgresUrls(process.env.DATABASE_URL as string);
    // Each case its own database: they run side by side.
    const name = `${base}_crash_${process.pid}_${++targets}`;
    const sqlAdmin = postgres(admin, { max: 1, onnotice: () => {} });
    await sqlAdmin.unsafe(`drop database if exists "${name}" with (force)`);
    await sqlAdmin.unsafe(`create database "${name}" template "${template}"`);
    const url = withDb(name);
    return {
      env: { DATABASE_URL: url },
      open: () => openDatabase({ kind: 'postgres', url }),
      cleanup: async () => {
        await sqlAdmin.unsafe(`drop database if exists "${name}" with (force)`);
        await sqlAdmin.end();
      },
    };
  }
  // The server starts on a copy of the migrated template, as a deployed one restarts on its data.
  const dir = await copyPgliteTemplate('samspil-crash-');
  return {
    env: { DATA_DIR: dir, DATABASE_URL: '' },
    open: () => openDatabase({ kind: 'pglite', dataDir: dir }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

function startServer(env: Record<string, string>, port: number): ChildProcess {
  return spawn(process.execPath, [...TS_LOADER, 'src/server.ts'], {
    cwd: root,
    env: { ...process.env, ...TEST_ENV, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: 'ignore',
  });
}

/** Until the server answers /readyz, or exits: however long a busy machine takes (tap's file timeout bounds it). */
async function ready(base: string, child: ChildProcess) {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

/** A user and an API token, made before the server starts. */
async function prepare(tg: Target): Promise<string> {
  const database = await tg.open();
  try {
    await migrateDatabase(database);
    const accounts = createAccountService(database.db, testConfig(), createMunicipalityService(database));
    const user = await accounts.createUser(
      system,
      { email: 'crash@kk.dk', name: 'Crash', password: 'en lang adgangskode', role: 'admin', municipalityCode: 101 },
      { system: true },
    );
    return (await accounts.createApiToken(system, user.id, 'crash')).token;
  } finally {
    await database.close();
  }
}

// The three cases run side by side, each on its own database and port: the SIGTERM case spends most
// of its time waiting out its drain period, which the other two use.
t.test('the server killed and stopped', { jobs: 3 }, async (t) => {
  t.test(`SIGKILL in the middle of writes, ${ROUNDS} times: no acknowledged write is lost`, async (t) => {
    const tg = await target();
    t.teardown(() => tg.cleanup());
    const token = await prepare(tg);
    const acknowledged: string[] = [];
    let attempted = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const child = startServer(tg.env, port);
      await ready(base, child);
      let stop = false;
      // Killed once this round has had writes acknowledged, while the writers go on: the kill lands in
      // the middle of writes however fast or slow the machine is.
      const wanted = acknowledged.length + 2;
      let enough = () => {};
      const acknowledgedEnough = new Promise<void>((resolve) => {
        enough = resolve;
      });
      const writer = async (w: number) => {
        for (let i = 0; !stop; i++) {
          const name = `Crashforening ${round}-${w}-${i}`;
          attempted += 1;
          try {
            const res = await fetch(`${base}/api/v1/actors?allowSimilar=true`, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: JSON.stringify(actorInput({ name, contacts: [] })),
            });
            if (res.status === 201) acknowledged.push(name);
            if (acknowledged.length >= wanted) enough();
          } catch {
            return; // the server is gone
          }
        }
      };
      const writers = Array.from({ length: 6 }, (_, w) => writer(w));
      await acknowledgedEnough;
      await new Promise((r) => setTimeout(r, round * 37));
      child.kill('SIGKILL');
      stop = true;
      await Promise.all(writers);
      await exited(child);
    }
    // Start once more: it must come up by itself on the same data, with every acknowledged write.
    const port = await freePort();
    const child = startServer(tg.env, port);
    await ready(`http://127.0.0.1:${port}`, child);
    child.kill('SIGTERM');
    t.equal(await exited(child), 0, 'the server started again by itself and stopped cleanly');
    const database = await tg.open();
    try {
      const rows = await database.rows<{ name: string }>(
        sql`select name from actors where name like 'Crashforening %'`,
      );
      const stored = new Set(rows.map((r) => r.name));
      const lost = acknowledged.filter((n) => !stored.has(n));
      t.ok(acknowledged.length > ROUNDS, `${acknowledged.length} writes acknowledged of ${attempted} tried`);
      t.same(lost, [], 'every acknowledged write survived');
      const audited = await database.rows<{ n: number }>(
        sql`select count(*)::int as n from actors a where a.name like 'Crashforening %'
            and not exists (select 1 from audit_log l where l.entity = 'actor' and l.entity_id = a.id::text)`,
      );
      t.equal(Number(audited[0]?.n), 0, 'and each has its audit record: no half-done write');
    } finally {
      await database.close();
    }
  });

  t.test('SIGTERM: the requests in flight are answered before the server stops', async (t) => {
    const tg = await target();
    t.teardown(() => tg.cleanup());
    const token = await prepare(tg);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    // A drain long enough that a machine busy with other tests still handles the signal within it:
    // the test waits for the 503, not for a time.
    const GRACE_MS = 20_000;
    const child = startServer({ ...tg.env, SHUTDOWN_GRACE_MS: String(GRACE_MS) }, port);
    await ready(base, child);
    const outcomes: string[] = [];
    const requests = Array.from({ length: 24 }, (_, i) =>
      fetch(`${base}/api/v1/actors?allowSimilar=true`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(actorInput({ name: `Termforening ${i}`, contacts: [] })),
      })
        .then((r) => outcomes.push(String(r.status)))
        .catch((err: Error & { cause?: { code?: string } }) => outcomes.push(err.cause?.code ?? err.message)),
    );
    // Let the requests reach the server, then ask it to stop while they are being handled.
    await new Promise((r) => setTimeout(r, 30));
    child.kill('SIGTERM');
    // The signal is handled once the server's event loop gets to it: ask until it says 503, for at
    // most the drain period. Before the signal it answers 200; nothing else is right.
    const seen: string[] = [];
    const askedUntil = Date.now() + GRACE_MS;
    while (Date.now() < askedUntil) {
      const status = await fetch(`${base}/readyz`).then(
        (r) => String(r.status),
        (err: Error & { cause?: { code?: string } }) => err.cause?.code ?? err.message,
      );
      seen.push(status);
      if (status !== '200') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    t.equal(seen.at(-1), '503', `while draining, /readyz tells the balancer to stop sending (${seen.join(', ')})`);
    await Promise.all(requests);
    t.equal(await exited(child), 0, 'a clean exit');
    const answered = outcomes.filter((o) => o === '201');
    t.ok(answered.length > 0, `${answered.length} of 24 answered while stopping`);
    t.same(
      outcomes.filter((o) => o !== '201' && o !== 'ECONNREFUSED'),
      [],
      'none cut off: each was answered, or (after the stop) refused before it began',
    );
  });

  t.test(
    'SIGKILL in the middle of an import: nothing of it is kept, and it runs again at the next start',
    async (t) => {
      const tg = await target();
      t.teardown(() => tg.cleanup());
      const token = await prepare(tg);
      const auth = { authorization: `Bearer ${token}` };
      const database = await tg.open();
      const groups = (
        await database.rows<{ name_da: string }>(
          sql`select distinct on (lower(name_da)) name_da from target_groups
            where municipality_code is null and level >= 2 order by lower(name_da), id limit 20`,
        )
      ).map((g) => g.name_da);
      const counts = async (db: Database) =>
        (
          await db.rows<{ grants: number; actors: number; audited: number }>(
            sql`select (select count(*)::int from grants) as grants, (select count(*)::int from actors) as actors,
                     (select count(*)::int from audit_log where entity in ('grant', 'actor')) as audited`,
          )
        )[0];
      const before = await counts(database);
      await database.close();

      const rows = onPostgres ? 40_000 : 20_000;
      const form = new FormData();
      form.set('kind', 'grants');
      form.set('file', new Blob([grantCsv({ rows, groups })]), 'bevillinger.csv');
      let port = await freePort();
      let base = `http://127.0.0.1:${port}`;
      let child = startServer(tg.env, port);
      await ready(base, child);
      const res = await fetch(`${base}/api/v1/imports`, { method: 'POST', body: form, headers: auth });
      const item = (await res.json()) as { id: number; status: string };
      t.equal(item.status, 'queued', 'checked and queued');
      if (onPostgres) {
        // PostgreSQL answers while the import's transaction runs: wait until rows are being written.
        let written = 0;
        let over = false;
        while (!written && !over && child.exitCode === null) {
          const now = (await (await fetch(`${base}/api/v1/imports/${item.id}`, { headers: auth })).json()) as {
            status: string;
            processedRows: number;
            rowCount: number;
          };
          if (now.processedRows > 0 && now.processedRows < now.rowCount) written = now.processedRows;
          else if (now.status === 'done' || now.status === 'failed') over = true;
          else await new Promise((r) => setTimeout(r, 20));
        }
        t.ok(written > 0, `killed with ${written} of ${rows} rows written in the open transaction`);
      } else {
        await new Promise((r) => setTimeout(r, 400));
      }
      child.kill('SIGKILL');
      await exited(child);

      const afterKill = await tg.open();
      const [state] = await afterKill.rows<{ status: string }>(sql`select status from imports where id = ${item.id}`);
      t.equal(state?.status, 'queued', 'killed before it finished: still queued');
      t.same(await counts(afterKill), before, 'no grant, actor or audit entry of the cut-off import is kept');
      await afterKill.close();

      // At the next start the runner finds it queued and writes it, once.
      port = await freePort();
      base = `http://127.0.0.1:${port}`;
      child = startServer(tg.env, port);
      await ready(base, child);
      let status = '';
      // Until it is done or the server has stopped, however long a busy machine takes.
      while (status !== 'done' && child.exitCode === null) {
        const now = (await (await fetch(`${base}/api/v1/imports/${item.id}`, { headers: auth })).json()) as {
          status: string;
        };
        status = now.status;
        if (status !== 'done') await new Promise((r) => setTimeout(r, 100));
      }
      t.equal(status, 'done', 'the import ran again by itself');
      child.kill('SIGTERM');
      await exited(child);
      const done = await tg.open();
      try {
        const [after] = await done.rows<{ grants: number; refs: number }>(
          sql`select count(*)::int as grants, count(distinct external_ref)::int as refs from grants`,
        );
        t.same(after, { grants: Number(before?.grants) + rows, refs: rows }, 'every row once');
      } finally {
        await done.close();
      }
    },
  );
});
