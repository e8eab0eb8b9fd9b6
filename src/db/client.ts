import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import type { ExtractTablesWithRelations, SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import {
  type DatabaseConfig,
  DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  DEFAULT_POOL_MAX,
  DEFAULT_STATEMENT_TIMEOUT_MS,
} from '../config.ts';
import { tagsOfNotification, WriteClock } from '../lib/write-tags.ts';
import { countTransactions, parsersOnce, preparing } from './driver-patches.ts';
import { pgliteParsers, pgliteSerializers, postgresTypes, textAsWritten } from './driver-types.ts';
import { takeRows } from './row-mapper.ts';

/**
 * drizzle is given no schema: Samspil does not use its relational queries (`db.query.*`), and with a
 * schema every transaction object builds a query builder for each of the 48 tables as it is made.
 */
type NoSchema = Record<string, never>;
export type Db = PgDatabase<PgQueryResultHKT, NoSchema, ExtractTablesWithRelations<NoSchema>>;
export type Tx = PgTransaction<PgQueryResultHKT, NoSchema, ExtractTablesWithRelations<NoSchema>>;
/** A repository takes either the database or a transaction. */
export type Queryable = Db | Tx;

/**
 * The rows of a raw query, on the database or a transaction, whichever driver runs it: the same
 * values from both (db/driver-types.ts). drizzle's PGlite session answers {rows}, its postgres.js
 * session the row list itself.
 */
export async function rows<T extends Record<string, unknown> = Record<string, unknown>>(
  db: Queryable,
  query: SQL,
): Promise<T[]> {
  return takeRows<T>(await db.execute(query));
}

export interface Database {
  kind: DatabaseConfig['kind'];
  db: Db;
  /** rows(on, query), on the database unless a transaction is given. */
  rows<T extends Record<string, unknown>>(query: SQL, on?: Queryable): Promise<T[]>;
  close(): Promise<void>;
  /**
   * The writes seen, and what each touched: each transaction ended in this process, and each write
   * committed by any process (a notification on WRITES_CHANNEL, naming the municipalities and kinds
   * written). A value read may be reused until a write touches what it depends on (lib/read-cache.ts).
   */
  writes: WriteClock;
  /** The count of writes seen (writes.now()). */
  generation(): number;
  /** PGlite only: the underlying instance, or the proxy a test was lent (test/shared-pglite.ts). */
  pglite?: PGlite;
  /** PostgreSQL only: the postgres.js client and its URL. */
  sql?: postgres.Sql;
  url?: string;
}

export interface OpenOptions {
  /** PGlite only: start from this data directory dump instead of an empty or on-disk database. */
  loadDataDir?: Blob | File;
  /** PGlite only: keep the database in memory (tests). */
  inMemory?: boolean;
  /**
   * PGlite only: an instance the caller opened (openPglite) and keeps: its data directory is not
   * locked again, and close() stops listening to it but leaves it open (the tests lend one instance
   * to one test database after another, test/shared-pglite.ts).
   */
  pglite?: PGlite;
}

/**
 * A PGlite instance as Samspil opens one: with pg_trgm, and the value parsers and serializers both
 * drivers share (the date and time types as text, to raw queries too: driver-types.ts).
 */
export async function openPglite(dataDir?: string, loadDataDir?: Blob | File): Promise<PGlite> {
  const pglite = await PGlite.create({
    dataDir,
    loadDataDir,
    extensions: { pg_trgm },
    parsers: pgliteParsers,
    serializers: pgliteSerializers,
  });
  textAsWritten(pglite);
  return pglite;
}

export class DataDirLockedError extends Error {
  readonly code = 'DATA_DIR_LOCKED';
}

/** What a lock holder does when its lock is gone while it runs: stop, before a second process writes too. */
function lockLost(dataDir: string): void {
  process.stderr.write(
    `The lock on the data directory ${dataDir} was lost; stopping so that no other process writes there too.\n`,
  );
  process.exit(1);
}

/**
 * The helper that holds the lock: it opens the lock file as fd 9, takes an exclusive flock(2) on it
 * without waiting, says so, and then reads its standard input, a pipe from this process, until the
 * end. The end comes when this process releases the lock or dies, however it dies (SIGKILL
 * included), and the kernel drops the lock with the helper. Exit 4: no flock(1); 5: locked.
 */
const HOLD_LOCK = [
  'exec 9>>"$1" || exit 3',
  'command -v flock >/dev/null 2>&1 || exit 4',
  'flock -n 9 || exit 5',
  "trap '' HUP INT TERM",
  'echo locked',
  'exec cat >/dev/null',
].join('\n');

/**
 * PGlite allows only one process on a data directory, so the process holds an exclusive lock on
 * `samspil.lock` there for as long as it runs. It is the kernel's flock(2), held by a small helper
 * process (flock(1); Node itself cannot take one): it works across PID namespaces (containers
 * sharing a volume), needs no heartbeat a long PGlite statement could hold up, and is gone the
 * moment its holder dies, so a stale lock is never taken over by guesswork. The file stays (only
 * its owner note is cleared): removing it would let two processes lock two different files.
 * Without flock(1) (macOS), the lock falls back to the owner's pid in the file, which only sees
 * processes in its own PID namespace.
 */
export async function lockDataDir(
  dataDir: string,
  onLost: () => void = () => lockLost(dataDir),
): Promise<() => Promise<void>> {
  mkdirSync(dataDir, { recursive: true });
  const lockPath = join(dataDir, 'samspil.lock');
  const helper = spawn('sh', ['-c', HOLD_LOCK, 'samspil-lock', lockPath], {
    stdio: ['pipe', 'pipe', 'ignore'],
    // Its own process group: a Ctrl-C meant for the app must not end the lock before the app.
    detached: true,
  });
  const outcome = await new Promise<'locked' | number | Error>((resolve) => {
    let said = '';
    helper.stdout?.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes('locked\n')) resolve('locked');
    });
    helper.once('exit', (code) => resolve(code ?? -1));
    helper.once('error', (err) => resolve(err));
  });
  if (outcome === 'locked') {
    writeFileSync(lockPath, `${process.pid} ${hostname()}\n`);
    let releasing = false;
    const exited = new Promise<void>((resolve) => helper.once('exit', () => resolve()));
    helper.once('exit', () => {
      if (!releasing) onLost();
    });
    helper.unref();
    for (const stream of [helper.stdin, helper.stdout]) (stream as unknown as { unref?: () => void })?.unref?.();
    return async () => {
      if (releasing) return;
      releasing = true;
      writeFileSync(lockPath, '');
      // Waited for: the lock is free once the helper is gone.
      helper.ref();
      helper.stdin?.end();
      await exited;
    };
  }
  if (outcome === 5) throw lockedBy(dataDir, readFileSync(lockPath, 'utf8'));
  if (outcome === 4 || (outcome instanceof Error && (outcome as NodeJS.ErrnoException).code === 'ENOENT')) {
    const unlock = lockByPid(dataDir, lockPath);
    return async () => unlock();
  }
  throw new Error(
    `Could not lock the data directory ${dataDir}: ${outcome instanceof Error ? outcome.message : `exit ${outcome}`}`,
  );
}

function lockedBy(dataDir: string, note: string): DataDirLockedError {
  const [pid, host] = note.trim().split(/\s+/);
  const owner = pid ? `pid ${pid}${host ? ` on ${host}` : ''}` : 'pid unknown';
  return new DataDirLockedError(
    `The data directory ${dataDir} is in use by another Samspil process (${owner}). ` +
      'Stop that process, or set DATA_DIR to another directory. For several processes, use PostgreSQL (DATABASE_URL).',
  );
}

/** The fallback without flock(1): the lock file holds the owner's pid, and a dead owner's lock is taken over. */
function lockByPid(dataDir: string, lockPath: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, `${process.pid} ${hostname()}\n`);
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const note = readFileSync(lockPath, 'utf8');
      const owner = Number.parseInt(note, 10);
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isRunning(owner)) {
        throw lockedBy(dataDir, note);
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new DataDirLockedError(`Could not lock the data directory ${dataDir}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The channel a committed audit record notifies (migration 0011). Every write is audited, so every
 * process that listens hears of every committed write, its own included.
 */
const WRITES_CHANNEL = 'samspil_writes';

export async function openDatabase(config: DatabaseConfig, options: OpenOptions = {}): Promise<Database> {
  if (config.kind === 'postgres') {
    // Every statement is bounded, and so is a transaction left idle (it holds locks and a
    // connection). An import raises the statement limit for its own transaction (set local).
    const client = preparing(
      postgres(config.url, {
        max: config.poolMax ?? DEFAULT_POOL_MAX,
        types: postgresTypes,
        onnotice: () => {},
        connection: {
          application_name: 'samspil',
          jit: 'off',
          statement_timeout: config.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
          idle_in_transaction_session_timeout:
            config.idleInTransactionTimeoutMs ?? DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS,
        },
      }),
    );
    const db = drizzlePostgres(client) as unknown as Db;
    const writes = new WriteClock();
    countTransactions(db, writes);
    // On its own connection, which postgres.js opens again when it is lost; a new connection may
    // have missed notifications, so it counts as a write of everything.
    await client.listen(
      WRITES_CHANNEL,
      (payload) => writes.touch(tagsOfNotification(payload)),
      () => writes.touch('all'),
    );
    return {
      kind: 'postgres',
      db,
      writes,
      generation: () => writes.now(),
      sql: client,
      url: config.url,
      rows: (query, on = db) => rows(on, query),
      async close() {
        await client.end({ timeout: 5 });
      },
    };
  }

  const kept = options.pglite;
  const unlock = kept || options.inMemory ? async () => {} : await lockDataDir(config.dataDir);
  try {
    const pglite = kept ?? (await openPglite(options.inMemory ? undefined : config.dataDir, options.loadDataDir));
    // drizzle's own parsers are not sent (parsersOnce), so the instance must have them, also one kept.
    textAsWritten(pglite);
    const db = drizzlePglite(parsersOnce(pglite)) as unknown as Db;
    const writes = new WriteClock();
    countTransactions(db, writes);
    // One process only, so its transactions are all there is; the notifications cover writes made
    // outside db.transaction.
    const unlisten = await pglite.listen(WRITES_CHANNEL, (payload) => writes.touch(tagsOfNotification(payload)));
    let closed = false;
    return {
      kind: 'pglite',
      db,
      writes,
      generation: () => writes.now(),
      pglite,
      rows: (query, on = db) => rows(on, query),
      async close() {
        if (closed) return;
        closed = true;
        try {
          if (!kept) await pglite.close();
          // UNLISTEN fails in an aborted transaction; such an instance is not lent again (its owner's rule).
          else if (!pglite.closed && !pglite.isInTransaction()) await unlisten();
        } finally {
          await unlock();
        }
      },
    };
  } catch (err) {
    await unlock();
    throw err;
  }
}
