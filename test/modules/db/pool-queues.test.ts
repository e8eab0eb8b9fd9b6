import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { type DriverQueue, mendQueue, queueSlots } from '../../../src/db/pool-queues.ts';
import { onPostgres, openTestDatabase } from '../../helper.ts';

/**
 * The pool's queues of postgres.js 3.4, mended (src/db/pool-queues.ts): the same connections in the
 * same order, without a hole kept for each one handed on while the queue never runs empty.
 */

/** A queue as the driver makes one (its package exports only its entry, so by the file's path). */
async function driverQueue(): Promise<DriverQueue<{ id: number }>> {
  const file = join(import.meta.dirname, '..', '..', '..', 'node_modules', 'postgres', 'src', 'queue.js');
  const { default: Queue } = (await import(pathToFileURL(file).href)) as {
    default: () => DriverQueue<{ id: number }>;
  };
  return Queue();
}

const connections = Array.from({ length: 6 }, (_, id) => ({ id }));

t.test('a mended queue keeps its connections, in their order, and does what the driver’s does', async (t) => {
  const queue = await driverQueue();
  for (const c of connections) queue.push(c);
  t.equal(queue.shift(), connections[0], 'the driver’s own shift, before mending');
  mendQueue(queue);
  t.equal(queue.length, 5, 'the connections it held are still in it');
  t.equal(queue.shift(), connections[1], 'in their order');
  t.equal(queue.remove(connections[3] as { id: number }), connections[3], 'remove answers what it removed');
  t.equal(queue.remove(connections[3] as { id: number }), null, 'and null for what is not there');
  t.equal(queue.remove(connections[0] as { id: number }), null, 'nor one shifted out before');
  t.equal(queue.push(connections[0] as { id: number }), connections[0], 'push answers what it pushed');
  t.strictSame(
    [queue.shift(), queue.shift(), queue.shift(), queue.shift()].map((c) => c?.id),
    [2, 4, 5, 0],
    'the rest in order, the one pushed last',
  );
  t.equal(queue.length, 0);
  t.equal(queue.shift(), undefined, 'an empty queue shifts nothing');
  t.equal(queue.length, 0, 'and stays empty');
  for (const c of connections.slice(0, 3)) queue.push(c);
  const slots = queueSlots(queue);
  mendQueue(queue);
  t.equal(queueSlots(queue), slots, 'mended again, it is left as it was');
  t.strictSame(
    [queue.shift(), queue.shift(), queue.shift()].map((c) => c?.id),
    [0, 1, 2],
    'with its connections in their order',
  );
});

t.test('the driver’s queue is still what pool-queues.ts mends', async (t) => {
  // Another postgres.js whose queue is made otherwise must be looked at before it is mended.
  t.strictSame(Object.keys(await driverQueue()).sort(), ['length', 'push', 'remove', 'shift']);
});

t.test('a queue that never runs empty keeps no hole for each connection handed on', async (t) => {
  const queue = await driverQueue();
  mendQueue(queue);
  for (const c of connections) queue.push(c);
  // As the pool hands statements to busy connections: the first taken, given the statement, and
  // moved to the back (looked for in the queue it was in first, where it no longer is).
  for (let i = 0; i < 100_000; i++) {
    const c = queue.shift() as { id: number };
    queue.remove(c);
    queue.push(c);
  }
  t.equal(queue.length, 6);
  t.ok((queueSlots(queue) ?? Infinity) <= 2 * 32 + 6, `its array holds ${queueSlots(queue)} slots, not 100,006`);
  t.strictSame(
    Array.from({ length: 6 }, () => queue.shift()?.id),
    [4, 5, 0, 1, 2, 3],
    'the connections still taken in turn',
  );
});

t.test('the pool’s queues are mended as statements are handed to its connections', async (t) => {
  if (!onPostgres) {
    t.pass('postgres.js only: PGlite has no pool');
    return;
  }
  const database = await openTestDatabase(t);
  const client = database.sql;
  if (!client) throw new Error('no postgres.js client');
  // Every connection busy, as under load: more statements at once than the pool has connections,
  // each noting the queue its connection was in as it was handed the statement (the idle one, or
  // the busy one once all are busy).
  const seen = new Set<object>();
  const noting = {
    onexecute: (connection: { queue: object }) => {
      seen.add(connection.queue);
      return true;
    },
  };
  for (let round = 0; round < 100; round++)
    await Promise.all(Array.from({ length: 32 }, () => client.unsafe('select 1', [], noting as never)));
  t.ok(seen.size >= 2, `statements handed on from ${seen.size} queues: the idle one and the busy one`);
  for (const queue of seen) {
    const slots = queueSlots(queue);
    t.ok(slots !== undefined && slots <= 2 * 32 + 16, `a queue mended, with ${slots} slots after 3,200 statements`);
  }
});
