import { AsyncLocalStorage } from 'node:async_hooks';

type Cancellable = { cancel(): unknown };
/** The references to collected statements are swept out as the set reaches this size. */
const PRUNE_AT = 64;

/**
 * The statements one piece of work (a request) starts on PostgreSQL, so that they can be cancelled
 * when nobody waits for their answer any more: the request's client went away. What cancelling a
 * statement means is the driver's to say (db/driver-patches.ts: a long one gets PostgreSQL's cancel
 * request and fails with 57014, like a statement timeout); one started after the scope was cancelled
 * is refused before it is sent. (PGlite runs a statement to its end: it cannot be interrupted.)
 */
export class StatementScope {
  /**
   * Held weakly: a statement that has answered is no longer referenced by its connection, and is
   * not kept here either, with its rows, for as long as the request lasts (an import's check reads
   * a municipality's grants a batch at a time in one request).
   */
  private readonly started = new Set<WeakRef<Cancellable>>();
  private cancelled = false;

  track(query: Cancellable): void {
    if (this.cancelled) {
      query.cancel();
      return;
    }
    if (this.started.size >= PRUNE_AT) for (const ref of this.started) if (!ref.deref()) this.started.delete(ref);
    this.started.add(new WeakRef(query));
  }

  /** Whether the work's client went away: a statement it starts now is refused, not sent. */
  get isCancelled(): boolean {
    return this.cancelled;
  }

  /** Cancels what runs and what is started from now on. A finished statement is left alone. */
  cancel(): void {
    this.cancelled = true;
    for (const ref of this.started) ref.deref()?.cancel();
    this.started.clear();
  }

  /** Runs work so that the statements it starts belong to this scope. */
  run<T>(work: () => T): T {
    return statementScopes.run(this, work);
  }
}

const statementScopes = new AsyncLocalStorage<StatementScope>();

/**
 * What a statement cancelled or refused because its request's client went away fails with (with
 * code 57014, which a statement timeout shares; its message says "due to statement timeout").
 */
export const REFUSED = 'canceling statement due to user request';

/** Whether an error (or what it wraps) is a statement cancelled or refused for a client gone away. */
export function isRefusedStatement(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.message === REFUSED) return true;
  }
  return false;
}

/** The scope the current work runs in, if any. */
export function currentStatementScope(): StatementScope | undefined {
  return statementScopes.getStore();
}

/** Runs work that outlives the request starting it (a background import): no scope cancels it. */
export function outsideStatementScope<T>(work: () => T): T {
  return statementScopes.exit(work);
}
