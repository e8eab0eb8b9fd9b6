/**
 * tap's "before" and "after" steps (before.mjs, after.mjs): each runs its TypeScript script in a
 * process of its own, with the test processes' loader. tap collects code coverage in those steps
 * even when coverage is disabled, and fails the run when that coverage is incomplete; the child is
 * told not to collect it.
 */
/* c8 ignore start */
import { spawnSync } from 'node:child_process';

export function runStep(script) {
  const child = spawnSync(process.execPath, ['--import=./test/loader.mjs', script], {
    stdio: 'inherit',
    env: { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0' },
  });
  if (child.error) console.error(child.error);
  process.exitCode = child.status ?? 1;
}
/* c8 ignore stop */
