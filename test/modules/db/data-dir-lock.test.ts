import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { DataDirLockedError, lockDataDir } from '../../../src/db/client.ts';
import { onPostgres } from '../../helper.ts';
import { root, TS_LOADER } from '../../template.ts';

/**
 * The embedded database's data directory is locked for as long as its process lives, across PID
 * namespaces too: two containers sharing a volume each see themselves as pid 1, so a pid in the
 * lock file cannot tell them apart. The holders here are real processes running
 * test/fixtures/hold-data-dir-lock.ts, some in PID namespaces of their own (unshare).
 */

const unshare = ['--pid', '--fork', '--kill-child', '--mount-proc'];
const canUnshare = spawnSync('unshare', [...unshare, 'true']).status === 0;

interface Holder {
  child: ChildProcess;
  /** Locked, or refused (exit 3), with what the process said. */
  result: Promise<{ locked: boolean; code: number | null; output: string }>;
  exited: Promise<void>;
  /** All it said so far. */
  output(): string;
}

function holder(t: Test, dataDir: string, options: { namespace?: boolean; env?: NodeJS.ProcessEnv } = {}): Holder {
  const args = [...TS_LOADER, 'test/fixtures/hold-data-dir-lock.ts', dataDir];
  const [command, argv] = options.namespace
    ? ['unshare', [...unshare, process.execPath, ...args]]
    : [process.execPath, args];
  const child = spawn(command as string, argv as string[], {
    cwd: root,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const result = new Promise<{ locked: boolean; code: number | null; output: string }>((resolve) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/locked pid=\d+/.test(output)) resolve({ locked: true, code: null, output });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => resolve({ locked: false, code, output }));
  });
  return { child, result, exited, output: () => output };
}

/** Starts holders until one gets the lock (a dead holder's lock goes with it, but not in no time). */
async function takeOver(t: Test, dataDir: string, options: { namespace?: boolean } = {}): Promise<Holder> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const next = holder(t, dataDir, options);
    const r = await next.result;
    if (r.locked || Date.now() > deadline) return next;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

t.test(
  'two processes in separate PID namespaces on one data directory: the second is refused, and takes over once the first is killed',
  { skip: (onPostgres && 'PGlite only') || (!canUnshare && 'unshare --pid is not available here') },
  async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'samspil-lock-ns-'));
    t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));

    const first = holder(t, dataDir, { namespace: true });
    const one = await first.result;
    t.ok(one.locked, 'the first takes the lock');
    t.match(one.output, /locked pid=1\n/, 'as pid 1 of its own namespace');

    const second = holder(t, dataDir, { namespace: true });
    const two = await second.result;
    t.notOk(two.locked, 'the second, also pid 1 in its namespace, is refused');
    t.equal(two.code, 3);
    t.match(two.output, /DATA_DIR_LOCKED: The data directory .* is in use by another Samspil process \(pid 1 on /);

    first.child.kill('SIGKILL');
    await first.exited;
    const third = await takeOver(t, dataDir, { namespace: true });
    t.ok((await third.result).locked, 'after the first is killed, a new process takes the lock over');
    third.child.stdin?.end();
    await third.exited;
    t.equal(third.child.exitCode, 0, 'and releases it when it stops');
  },
);

t.test(
  'a holder killed with SIGKILL leaves no lock behind; in one process the lock is taken once',
  { skip: onPostgres && 'PGlite only' },
  async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'samspil-lock-kill-'));
    t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = holder(t, dataDir);
    t.ok((await first.result).locked);
    await t.rejects(lockDataDir(dataDir), { code: 'DATA_DIR_LOCKED' }, 'refused while the holder lives');
    first.child.kill('SIGKILL');
    await first.exited;

    let release: (() => Promise<void>) | undefined;
    const deadline = Date.now() + 120_000;
    while (!release && Date.now() < deadline) {
      release = await lockDataDir(dataDir).catch(async (err) => {
        if (!(err instanceof DataDirLockedError)) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
        return undefined;
      });
    }
    t.ok(release, 'taken over once the holder is dead');
    t.match(
      readFileSync(join(dataDir, 'samspil.lock'), 'utf8'),
      new RegExp(`^${process.pid} `),
      'with its owner noted',
    );
    await t.rejects(lockDataDir(dataDir), { code: 'DATA_DIR_LOCKED' }, 'a second lock in the same process is refused');
    const other = holder(t, dataDir);
    t.notOk((await other.result).locked, 'and so is another process');
    await release?.();
    t.equal(readFileSync(join(dataDir, 'samspil.lock'), 'utf8'), '', 'released: the owner note is cleared');
    const again = await lockDataDir(dataDir);
    await again();
    t.pass('and the lock can be taken again');
  },
);

t.test(
  'without flock(1), the lock falls back to the pid in the lock file',
  { skip: onPostgres && 'PGlite only' },
  async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'samspil-lock-pid-'));
    const bin = mkdtempSync(join(tmpdir(), 'samspil-bin-'));
    t.teardown(() => {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(bin, { recursive: true, force: true });
    });
    for (const tool of ['sh', 'cat']) {
      const found = spawnSync('sh', ['-c', `command -v ${tool}`])
        .stdout.toString()
        .trim();
      symlinkSync(found, join(bin, tool));
    }
    const env = { ...process.env, PATH: bin };
    const first = holder(t, dataDir, { env });
    const one = await first.result;
    t.ok(one.locked, 'locked without flock(1)');
    const pid = /locked pid=(\d+)/.exec(one.output)?.[1];
    t.match(readFileSync(join(dataDir, 'samspil.lock'), 'utf8'), new RegExp(`^${pid} `), 'the file names its owner');
    const second = holder(t, dataDir, { env });
    t.notOk((await second.result).locked, 'a second process is refused');
    first.child.kill('SIGKILL');
    await first.exited;
    const third = holder(t, dataDir, { env });
    t.ok((await third.result).locked, "a dead owner's lock is taken over");
  },
);

t.test('a process whose lock is taken from it stops', { skip: onPostgres && 'PGlite only' }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samspil-lock-lost-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const held = holder(t, dataDir);
  const r = await held.result;
  t.ok(r.locked);
  const pid = /locked pid=(\d+)/.exec(r.output)?.[1];
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
  // sh, until it has made itself cat.
  const helper = children.find((c) => ['sh', 'cat'].includes(readFileSync(`/proc/${c}/comm`, 'utf8').trim()));
  t.ok(helper, 'the lock is held by a helper process');
  process.kill(Number(helper), 'SIGKILL');
  await held.exited;
  t.equal(held.child.exitCode, 1, 'the holder stops at once');
  t.match(held.output(), /The lock on the data directory .* was lost; stopping/, 'and says why');
});
