/**
 * postgres.js 3.4 keeps its pool's connections in queues (idle, busy, full, …). A queue's shift()
 * leaves a hole at the front of its array, which is let go only when the queue runs empty, and its
 * remove() looks for the connection from the array's start. While every connection is busy, as under
 * load, the busy queue never runs empty: each statement handed to a busy connection adds a hole, and
 * moving that connection looks through all of them. After 100,000 statements a statement cost 50 µs
 * more, and the array held 100,000 slots (issue 17, bench/PAGE-COSTS.md session 51).
 *
 * The queues are the driver's own, within its closure. A connection names the queue it is in, and a
 * statement's `onexecute` option is given the connection as the statement is handed to it: there,
 * each queue met is mended once, with methods that do what the driver's do and let the holes go.
 * postgres.js 4 rewrote its pool with queues that let their holes go: this goes with that upgrade.
 */

/** A queue of postgres.js 3.4 (src/queue.js), as its pool uses it. */
export interface DriverQueue<T = unknown> {
  readonly length: number;
  push(x: T): T;
  shift(): T | undefined;
  remove(x: T): T | null;
}

/** A connection of postgres.js 3.4 as far as its queue goes. */
interface DriverConnection {
  queue?: DriverQueue;
}

/** The queues mended, and how many slots each one's array holds (for the tests). */
const mended = new WeakMap<object, () => number>();

/** Past this many holes at its front, and once they are half its array, a queue's array is cut. */
const HOLES_KEPT = 32;

/** Gives the queue methods that let their holes go; its connections stay in it, in their order. */
export function mendQueue<T>(queue: DriverQueue<T>): void {
  if (mended.has(queue)) return;
  let items: (T | undefined)[] = [];
  while (queue.length > 0) items.push(queue.shift());
  let head = 0;
  const letHolesGo = () => {
    if (head === items.length) {
      items = [];
      head = 0;
    } else if (head >= HOLES_KEPT && head * 2 >= items.length) {
      items = items.slice(head);
      head = 0;
    }
  };
  Object.defineProperty(queue, 'length', { configurable: true, enumerable: true, get: () => items.length - head });
  queue.push = (x) => {
    items.push(x);
    return x;
  };
  queue.shift = () => {
    const x = items[head];
    items[head++] = undefined;
    letHolesGo();
    return x;
  };
  queue.remove = (x) => {
    const at = items.indexOf(x, head);
    if (at === -1) return null;
    items.splice(at, 1);
    letHolesGo();
    return x;
  };
  mended.set(queue, () => items.length);
}

/** How many slots a mended queue's array holds, holes included; undefined for one not mended. */
export function queueSlots(queue: object): number | undefined {
  return mended.get(queue)?.();
}

/** What a statement's `onexecute` does: mends the queue its connection is in, and lets it take more. */
function mendingOnExecute(connection: DriverConnection): true {
  if (connection.queue) mendQueue(connection.queue);
  return true;
}

/**
 * A statement's options with an `onexecute` that mends its connection's queue, then calls the one it
 * had and gives its answer (the driver's begin reserves the connection there), or answers true as
 * the driver does for a statement without one.
 */
export function mendingQueues(options: Record<string, unknown> | undefined): Record<string, unknown> {
  const own = options?.onexecute as ((connection: DriverConnection) => unknown) | undefined;
  return {
    ...options,
    onexecute: own
      ? (connection: DriverConnection) => {
          mendingOnExecute(connection);
          return own(connection);
        }
      : mendingOnExecute,
  };
}
