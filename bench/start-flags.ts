/**
 * The Node flags of `npm start` (package.json, the one place they are written), so that the bench
 * measures the app as it runs in production: `node <flags> src/server.ts`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function startFlags(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.trim().split(/\s+/);
  if (words[0] !== 'node' || words.at(-1) !== 'src/server.ts') {
    throw new Error(`package.json's start script is not "node <flags> src/server.ts": ${pkg.scripts.start}`);
  }
  return words.slice(1, -1);
}
