import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import t from 'tap';
import { StatementScope } from '../../src/lib/statement-scope.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A statement as postgres.js hands it out: cancellable, and holding its rows once answered. */
const statement = (rows: number) => {
  const s = { cancelled: 0, rows: Array.from({ length: rows }, (_, i) => `rad ${i}`), cancel: () => s.cancelled++ };
  return s;
};

/** Tracks n statements that answer and are let go (in a frame of its own, so none stays in a register). */
function trackAnswered(scope: StatementScope, n: number): WeakRef<object>[] {
  const refs: WeakRef<object>[] = [];
  for (let i = 0; i < n; i++) {
    const s = statement(1000);
    scope.track(s);
    refs.push(new WeakRef(s));
  }
  return refs;
}

t.test('a statement that has answered is not kept by its scope', async (t) => {
  const scope = new StatementScope();
  // A request that reads in many batches (an import's check): each batch's rows are let go.
  const refs = trackAnswered(scope, 200);
  await new Promise((r) => setImmediate(r));
  gc();
  t.equal(refs.filter((r) => r.deref()).length, 0, 'every answered statement, and its rows, collected');
});

t.test('the scope still cancels what runs, and what starts after it was cancelled', async (t) => {
  const scope = new StatementScope();
  const running = statement(1);
  scope.track(running);
  trackAnswered(scope, 100);
  await new Promise((r) => setImmediate(r));
  gc();
  scope.cancel();
  t.equal(running.cancelled, 1, 'a statement still referenced (running) is cancelled');
  const late = statement(1);
  scope.track(late);
  t.equal(late.cancelled, 1, 'one started afterwards is cancelled at once');
});
