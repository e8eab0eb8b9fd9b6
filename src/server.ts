import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { serve } from './serve.ts';

/** The only file that listens (with the demo, which seeds first). */
async function main() {
  const config = loadConfig();
  await serve(await buildApp(config), config);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
