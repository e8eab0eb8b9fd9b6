import { AsyncLocalStorage } from 'node:async_hooks';
import type { PGlite, QueryOptions, Results, Transaction } from '@electric-sql/pglite';
import type postgres from 'postgres';
import { currentStatementScope, REFUSED } from '../lib/statement-scope.ts';
import { tagsOfWrite, type WriteClock } from '../lib/write-tags.ts';
import type { Db, Tx } from './client.ts';
import { TEXT_AS_WRITTEN } from './driver-types.ts';
import { mendingQueues } from './pool-queues.ts';

/**
 * The places where Samspil changes how a driver behaves, each with what it promises (pinned by
 * test/modules/db/driver-patches.test.ts, on both databases):
 *
 * - countTransactions (both drivers): db.transaction counts each transaction once as it ends,
 *   committed or rolled back, unless it was read only or said that it leaves the caches alone, as a
 *   write touching what its audit records name (noteWrite), or everything when it has none. A
 *   nested transaction (a savepoint) is part of its outer one and counts nothing of its own.
 * - preparing (postgres.js): a statement with parameters is sent as a named prepared statement,
 *   on the client, in a transaction and in a savepoint alike; one without parameters is sent
 *   unprepared (the simple protocol, which allows several commands in one text); and each one
 *   started belongs to the current statement scope. A cancelled scope refuses the statements it
 *   starts, and cancels those that run for a second or more (cancellingOnceLong): it costs the
 *   pool no connection, and reaches another scope's statement only if its own ends in the moment
 *   the cancel request is on its way (PostgreSQL's cancel is per backend, not per statement).
 *   Each statement mends the pool's queue its connection is in (pool-queues.ts).
 * - parsersOnce (PGlite): drizzle's statements are run with the parsers the instance has, in a
 *   transaction too, and give the same rows as with drizzle's own.
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

/** What the transaction running in this async context has written, as its audit records say. */
interface Written {
  audited: boolean;
  tags: Set<string> | 'all';
}
const written = new AsyncLocalStorage<Written>();

/**
 * Notes an audit record of the running transaction: its municipality and entity say what it touches
 * (lib/write-tags.ts), as the write notification does for other processes. Records that change no
 * data (a refusal, a sign-in) touch nothing.
 */
export function noteWrite(municipalityCode: number | null, entity: string, action: string): void {
  const into = written.getStore();
  if (!into) return;
  into.audited = true;
  if (entity === 'access' || (entity === 'login' && ['login', 'login_failed', 'rate_limited'].includes(action))) return;
  const tags = tagsOfWrite(municipalityCode, entity);
  if (tags === 'all' || into.tags === 'all') into.tags = 'all';
  else for (const tag of tags) into.tags.add(tag);
}

/**
 * Makes db.transaction note each transaction on the clock as it ends, committed or rolled back,
 * unless it was read only or said it leaves the caches alone: as touching what its audit records
 * name, or everything when it wrote none. The process's own writes are so seen at once, before the
 * notification of the commit comes back.
 */
export function countTransactions(db: Db, clock: WriteClock): void {
  const transaction = db.transaction.bind(db);
  db.transaction = (async (...args: Parameters<typeof transaction>) => {
    const [fn, config] = args;
    let quiet = config?.accessMode === 'read only';
    const writes: Written = { audited: false, tags: new Set() };
    try {
      return await written.run(writes, () =>
        transaction(async (tx) => {
          const result = await fn(tx);
          quiet ||= unchanged.has(tx);
          return result;
        }, config),
      );
    } finally {
      if (!quiet) clock.touch(writes.audited && writes.tags !== 'all' ? [...writes.tags] : 'all');
    }
  }) as typeof db.transaction;
}

/**
 * postgres.js counts the rows of the statement it is reading per connection, and sets the count back
 * only when a statement completes. A statement that fails after sending some rows (a statement
 * timeout, a cancel, an error in a later row) leaves it behind, and the next statement on that
 * connection answers an array with as many holes in front of its rows (porsager/postgres#1119 and
 * #1181, open in 3.4.10). Its rows are all there, in order, after the holes: they are moved to the
 * front, in place, so the result keeps its count and columns.
 */
function closingLeadingHoles(pending: PromiseLike<unknown>): void {
  const then = pending.then.bind(pending);
  // biome-ignore lint/suspicious/noThenProperty: the statement is a thenable already; its own then is wrapped.
  (pending as { then: PromiseLike<unknown>['then'] }).then = (onFulfilled, onRejected) =>
    then((result) => {
      closeLeadingHoles(result);
      return onFulfilled ? onFulfilled(result) : (result as never);
    }, onRejected);
}

export function closeLeadingHoles(result: unknown): void {
  if (!Array.isArray(result) || result.length === 0 || 0 in result) return;
  let to = 0;
  for (let from = 0; from < result.length; from++) if (from in result) result[to++] = result[from];
  result.length = to;
}

/** Cancel a request's statement only once it has run this long: see cancellingOnceLong. */
const CANCEL_AFTER_RUNNING_MS = 1000;
/** A statement's `active` flag, kept behind the accessor `watchActive` puts on postgres.js's statements. */
const active = Symbol('samspil.active');
/** A statement's guard, once its scope has one. */
const guards = Symbol('samspil.cancelGuard');

/** A postgres.js statement as far as cancelling it goes (its `active` flag is internal to 3.4). */
interface DriverStatement {
  active: boolean;
  cancel(): unknown;
  [active]?: boolean;
  [guards]?: CancelGuard;
}

/** The prototypes given the accessor: postgres.js's one statement class, in practice. */
const watched = new WeakSet<object>();

/**
 * postgres.js sets a statement's `active` when its turn comes on its connection, and clears it as it
 * answers or fails. The flag is made an accessor once, on the statements' prototype, so that a
 * statement's guard hears of each change. (It was an accessor defined on each statement, with a
 * getter and a setter of its own: V8 then kept each statement's properties as a dictionary, and the
 * driver's every use of one went the slow way; issue 17, bench/PAGE-COSTS.md session 45.) The
 * process's first statement may be made before the accessor is there, with the flag as a value of
 * its own, which is moved behind it.
 */
function watchActive(statement: DriverStatement): void {
  const prototype = Object.getPrototypeOf(statement) as object;
  if (!watched.has(prototype)) {
    watched.add(prototype);
    Object.defineProperty(prototype, 'active', {
      configurable: true,
      get(this: DriverStatement) {
        return this[active] === true;
      },
      set(this: DriverStatement, value: boolean) {
        this[active] = value;
        this[guards]?.turned(value);
      },
    });
  }
  if (Object.hasOwn(statement, 'active')) {
    const value = statement.active;
    delete (statement as Partial<DriverStatement>).active;
    statement.active = value;
  }
}

/**
 * What a statement scope cancels of a postgres.js statement. postgres.js's own cancel is safe only
 * for a statement running on its connection, and there only roughly:
 * - a statement sent but queued behind another on its connection is skipped when its turn comes,
 *   so that its answer is read as the next statement's (rows parsed with the wrong columns);
 * - one not yet running when cancelled still takes a connection later, which then waits for an
 *   answer that never comes: the pool loses it for good (the issue-17 bench lost all ten);
 * - the cancel request reaches the backend out of band, a moment later, and cancels whatever it
 *   runs by then: the next statement, another request's, if the cancelled one has just ended.
 * So a statement is cancelled only once it has run for CANCEL_AFTER_RUNNING_MS, when it is in its
 * turn on its connection and unlikely to end in the moment the request takes to arrive; one that
 * starts later is cancelled when it has run that long. Shorter ones run their course. This bounds
 * what a client that went away costs PostgreSQL to about a second per statement; the statements
 * its request would still start are refused (refusedStatement).
 */
class CancelGuard {
  private readonly statement: DriverStatement;
  private runningSince: number;
  private wanted = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(statement: DriverStatement) {
    this.statement = statement;
    this.runningSince = statement.active ? performance.now() : 0;
    // Kept alive by the statement (the scope holds its statements weakly).
    statement[guards] = this;
  }

  /** The statement's turn came (true), or it answered or failed (false). */
  turned(running: boolean): void {
    if (!running) clearTimeout(this.timer);
    else {
      this.runningSince = performance.now();
      if (this.wanted) this.arm();
    }
  }

  cancel(): void {
    if (this.wanted) return;
    this.wanted = true;
    if (this.statement.active) this.arm();
  }

  private arm(): void {
    clearTimeout(this.timer);
    const since = this.runningSince;
    this.timer = setTimeout(
      // Once more after the sockets' pending input is read: after a blocked event loop the answer
      // may be waiting unread, and the statement no longer running on the server.
      () =>
        setImmediate(() => {
          if (this.statement.active && this.runningSince === since) this.statement.cancel();
        }),
      Math.max(0, since + CANCEL_AFTER_RUNNING_MS - performance.now()),
    );
    this.timer.unref();
  }
}

function cancellingOnceLong(statement: DriverStatement): CancelGuard {
  watchActive(statement);
  return new CancelGuard(statement);
}

/**
 * The answer to a statement its request's client no longer waits for: it fails as a cancelled one
 * does (57014), without being handed to postgres.js at all (see cancellingOnceLong). drizzle calls
 * values() on a statement and awaits it.
 */
function refusedStatement(): never {
  const failure = Object.assign(new Error(REFUSED), { code: '57014' });
  const refused = Promise.reject(failure);
  const same = () => refused;
  // The modifiers of a postgres.js statement that return it; drizzle uses values() and execute().
  return Object.assign(refused, {
    values: same,
    raw: same,
    execute: same,
    simple: same,
    describe: same,
    cancel: () => undefined,
  }) as never;
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
    const scope = currentStatementScope();
    if (scope?.isCancelled) return refusedStatement();
    const pending =
      Array.isArray(args) && args.length
        ? unsafe(query, args as never, mendingQueues({ ...opts, prepare: true }))
        : unsafe(query, args as never, mendingQueues(opts));
    scope?.track(cancellingOnceLong(pending as unknown as DriverStatement));
    closingLeadingHoles(pending);
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

/** drizzle's query options without its parsers, by row mode: the only two it sends. */
const rowModeOnly = { array: { rowMode: 'array' }, object: { rowMode: 'object' } } as const;

/**
 * The options of a statement drizzle runs, less its parsers when the instance has the same ones
 * (driver-types.ts, TEXT_AS_WRITTEN); any other options as they are.
 */
function withoutOwnParsers(options: QueryOptions | undefined): QueryOptions | undefined {
  if (!options?.parsers || Object.keys(options).length !== 2 || !options.rowMode) return options;
  for (const type of Object.keys(options.parsers)) if (!TEXT_AS_WRITTEN.has(Number(type))) return options;
  return rowModeOnly[options.rowMode];
}

/**
 * The client drizzle is given on PGlite. drizzle sends the same parsers with every statement (the
 * date and time types as text), and PGlite merges them into its table of about 320 types for each
 * one: about 80 µs of CPU per statement, more than a simple statement costs to run (`select 1`,
 * about 70 µs). The instance has those parsers already (textAsWritten), so they are not sent.
 */
export function parsersOnce(pglite: PGlite): PGlite {
  // drizzle's types ask for a PGlite; it calls query and transaction on it, and nothing else.
  return new PgliteForDrizzle(pglite) as unknown as PGlite;
}

/**
 * A class, not a plain object: drizzle takes a plain object for its own configuration. Each call
 * looks the instance's method up anew, as drizzle would (a test database lent and given back
 * refuses that look-up, test/shared-pglite.ts).
 */
class PgliteForDrizzle {
  readonly #pglite: PGlite;
  constructor(pglite: PGlite) {
    this.#pglite = pglite;
  }
  query<T>(text: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> {
    return this.#pglite.query<T>(text, params, withoutOwnParsers(options));
  }
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.#pglite.transaction((tx) => {
      const query = tx.query.bind(tx);
      tx.query = <R>(text: string, params?: unknown[], options?: QueryOptions) =>
        query<R>(text, params, withoutOwnParsers(options));
      return fn(tx);
    });
  }
}
