import type postgres from 'postgres';
import { currentStatementScope } from '../lib/statement-scope.ts';
import type { Db, Tx } from './client.ts';

/**
 * The two places where Samspil changes how a driver behaves, each with what it promises (pinned by
 * test/modules/db/driver-patches.test.ts, on both databases):
 *
 * - countTransactions (both drivers): db.transaction counts each transaction once as it ends,
 *   committed or rolled back, unless it was read only or said that it leaves the caches alone. A
 *   nested transaction (a savepoint) is part of its outer one and counts nothing of its own.
 * - preparing (postgres.js): a statement with parameters is sent as a named prepared statement,
 *   on the client, in a transaction and in a savepoint alike; one without parameters is sent
 *   unprepared (the simple protocol, which allows several commands in one text); and each one
 *   started belongs to the current statement scope, which can cancel it.
 */

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
export function countTransactions(db: Db): () => number {
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
export function preparing<T extends postgres.Sql | postgres.TransactionSql>(client: T): T {
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
