/**
 * The environment and Node flags of `npm start` (package.json, the one place they are written), so
 * that the bench measures the app as it runs in production: `[VAR=value ...] node <flags> src/server.ts`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function startCommand(root: string): { env: Record<string, string>; flags: string[] } {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (words[0] && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const [name, ...value] = (words.shift() as string).split('=');
    env[name as string] = value.join('=');
  }
  if (words[0] !== 'node' || words.at(-1) !== 'src/server.ts') {
    throw new Error(
      `package.json's start script is not "[VAR=value ...] node <flags> src/server.ts": ${pkg.scripts.start}`,
    );
  }
  return { env, flags: words.slice(1, -1) };
}
