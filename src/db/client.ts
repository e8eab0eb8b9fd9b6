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
  DEFAULT_STATEMENT_TIMEOUT_MS,
} from '../config.ts';
import { currentStatementScope } from '../lib/statement-scope.ts';
import * as schema from './schema/index.ts';

type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** A repository takes either the database or a transaction. */
export type Queryable = Db | Tx;

/** The rows of db.execute(), which PGlite wraps in {rows} and postgres.js returns as an array. */
export function resultRows(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result)) return result as Record<string, unknown>[];
  return ((result as { rows?: Record<string, unknown>[] }).rows ?? []) as Record<string, unknown>[];
}

export interface Database {
  kind: DatabaseConfig['kind'];
  db: Db;
  /** Runs raw SQL and returns its rows, whichever driver is in use. */
  rows<T extends Record<string, unknown>>(query: SQL, on?: Queryable): Promise<T[]>;
  close(): Promise<void>;
  /**
   * Counts the writes seen: each transaction ended in this process, and each write committed by any
   * process (a notification on WRITES_CHANNEL). A value read at one generation may be reused until
   * it changes (see lib/read-cache.ts).
   */
  generation(): number;
  /** PGlite only: the underlying instance (used to copy the test template). */
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

const unchanged = new WeakSet<object>();

/**
 * Says that a transaction changes nothing anyone keeps in memory (a failed sign-in, a refusal put
 * in the audit trail): its end does not count as a write. Anyone could cause those at will, and
 * each would otherwise make every process read its sessions, reports and reference data again.
 */
export function leavesCachesAlone(tx: Tx): void {
  unchanged.add(tx);
}

/**
 * Makes db.transaction count each transaction as it ends, committed or rolled back, unless it was
 * read only or said it leaves the caches alone.
 */
function countTransactions(db: Db): () => number {
  let generation = 0;
  const transaction = db.transaction.bind(db);
  db.transaction = (async (...args: Parameters<typeof transaction>) => {
    const [fn, config] = args;
    let quiet = config?.accessMode === 'read only';
    try {
      return await transaction(async (tx) => {
        const result = await fn(tx);
        quiet ||= unchanged.has(tx);
        return result;
      }, config);
    } finally {
      if (!quiet) generation++;
    }
  }) as typeof db.transaction;
  return () => generation;
}

/**
 * Makes postgres.js keep each parameterised statement prepared on its connection, in transactions
 * and savepoints too. drizzle asks for unnamed statements, which postgres.js sends as parse and
 * describe, then waits, then bind and execute: two round trips and a new plan for every query. A
 * prepared one is a single round trip (0.55 → 0.19 ms for a one-row select here). Statements without
 * parameters keep the simple protocol, which also allows several commands (migrations).
 */
function preparing<T extends postgres.Sql | postgres.TransactionSql>(client: T): T {
  const unsafe = client.unsafe.bind(client);
  const patched = client as unknown as Record<string, unknown>;
  // Each statement text stays prepared on its connection until the connection is replaced (30–60
  // minutes): the texts must not vary with the data, so values go in as parameters (id lists as
  // one int[], see db/params.ts), never into the text.
  patched.unsafe = (query: string, args?: unknown[] | Record<string, unknown>, opts?: Record<string, unknown>) => {
    const pending =
      Array.isArray(args) && args.length
        ? unsafe(query, args as never, { ...opts, prepare: true })
        : unsafe(query, args as never, opts);
    currentStatementScope()?.track(pending);
    return pending;
  };
  for (const name of ['begin', 'savepoint'] as const) {
    const original = patched[name] as ((...a: unknown[]) => Promise<unknown>) | undefined;
    if (!original) continue;
    patched[name] = (...a: unknown[]) => {
      const fn = a.pop() as (tx: postgres.TransactionSql) => unknown;
      return original.call(client, ...a, (tx: postgres.TransactionSql) => fn(preparing(tx)));
    };
  }
  return client;
}

export async function openDatabase(config: DatabaseConfig, options: OpenOptions = {}): Promise<Database> {
  if (config.kind === 'postgres') {
    // Every statement is bounded, and so is a transaction left idle (it holds locks and a
    // connection). An import raises the statement limit for its own transaction (set local).
    const client = preparing(
      postgres(config.url, {
        max: 10,
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
    const db = drizzlePostgres(client, { schema }) as unknown as Db;
    const ended = countTransactions(db);
    // On its own connection, which postgres.js opens again when it is lost; a new connection may
    // have missed notifications, so it counts as a write too.
    let notified = 0;
    await client.listen(
      WRITES_CHANNEL,
      () => notified++,
      () => notified++,
    );
    return {
      kind: 'postgres',
      db,
      generation: () => ended() + notified,
      sql: client,
      url: config.url,
      async rows<T extends Record<string, unknown>>(query: SQL, on: Queryable = db) {
        return (await on.execute(query)) as unknown as T[];
      },
      async close() {
        await client.end({ timeout: 5 });
      },
    };
  }

  const unlock = options.inMemory ? async () => {} : await lockDataDir(config.dataDir);
  try {
    const pglite = await PGlite.create({
      dataDir: options.inMemory ? undefined : config.dataDir,
      loadDataDir: options.loadDataDir,
      extensions: { pg_trgm },
    });
    const db = drizzlePglite(pglite, { schema }) as unknown as Db;
    const ended = countTransactions(db);
    // One process only, so its transactions are all there is; the notifications cover writes made
    // outside db.transaction.
    let notified = 0;
    await pglite.listen(WRITES_CHANNEL, () => notified++);
    let closed = false;
    return {
      kind: 'pglite',
      db,
      generation: () => ended() + notified,
      pglite,
      async rows<T extends Record<string, unknown>>(query: SQL, on: Queryable = db) {
        return ((await on.execute(query)) as unknown as { rows: T[] }).rows;
      },
      async close() {
        if (closed) return;
        closed = true;
        try {
          await pglite.close();
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
