import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startCommand } from '../../../bench/start-flags.ts';

/**
 * The app runs with the Node flags and malloc settings of `npm start` (package.json) wherever it is
 * started for real: in the container image and in `npm run demo`. The bench starts it from the same
 * script (bench/start-flags.ts), so what it measures is what runs.
 */
const root = fileURLToPath(new URL('../../..', import.meta.url));
const start = startCommand(root);
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

/** The runtime stage's ENV settings, from its continued `ENV a=b \` lines. */
function imageEnv(text: string): Record<string, string> {
  const runtime = text.slice(text.indexOf('AS runtime'));
  const env: Record<string, string> = {};
  for (const block of runtime.matchAll(/^ENV ((?:[^\n]*\\\n)*[^\n]*)$/gm)) {
    for (const pair of (block[1] as string).replace(/\\\n/g, ' ').trim().split(/\s+/)) {
      const [name, ...value] = pair.split('=');
      env[name as string] = value.join('=');
    }
  }
  return env;
}

t.test("npm start's settings are the container's", async (t) => {
  t.ok(start.flags.length > 0, 'npm start gives Node flags');
  // The image runs the last CMD of the file (the runtime stage's), not the health check's.
  const cmd = [...dockerfile.matchAll(/^CMD (\[.*\])$/gm)].at(-1)?.[1];
  t.ok(cmd, 'the Dockerfile has a CMD in exec form');
  t.same(JSON.parse(cmd as string), ['node', ...start.flags, 'src/server.ts'], 'the CMD runs node with the same flags');
  const env = imageEnv(dockerfile);
  for (const [name, value] of Object.entries(start.env))
    t.equal(env[name], value, `the image sets ${name} as npm start does`);
});

t.test("npm run demo runs with npm start's Node flags", async (t) => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { demo: string } };
  const words = pkg.scripts.demo.trim().split(/\s+/);
  t.same(words, ['node', ...start.flags, 'src/demo.ts']);
});

t.test('this Node takes every flag', async (t) => {
  // A misspelled or retired V8 flag stops node before it runs anything ("bad option").
  const run = spawnSync(process.execPath, [...start.flags, '-e', 'process.exit(0)'], { encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
  const bad = spawnSync(process.execPath, ['--heap-growing-percentage=100', '-e', 'process.exit(0)'], {
    encoding: 'utf8',
  });
  t.not(bad.status, 0, 'a flag node does not know is refused (so the check above can fail)');
});
