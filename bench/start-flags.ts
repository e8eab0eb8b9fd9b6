/**
 * The environment and Node flags of `npm start` (package.json, the one place they are written), so
 * that the bench measures the app as it runs in production: `[VAR=value ...] node <flags> src/server.ts`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
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

/**
 * The app as its own process, started as `npm start` starts it, on the given database and port;
 * resolves once /readyz answers. Node before 22.6 strips no types, so there tsx does (the same code runs).
 */
export async function startApp(
  root: string,
  options: { url: string; port: number; env?: Record<string, string> },
): Promise<{ app: ChildProcess; base: string }> {
  const start = startCommand(root);
  const loader = (process.versions.node.split('.').map(Number)[0] as number) >= 23 ? [] : ['--import', 'tsx'];
  const app = spawn(process.execPath, [...loader, ...start.flags, 'src/server.ts'], {
    cwd: root,
    env: {
      ...process.env,
      ...start.env,
      DATABASE_URL: options.url,
      PORT: String(options.port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      ...options.env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${options.port}`;
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return { app, base };
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  app.kill('SIGKILL');
  throw new Error('the app did not get ready');
}
