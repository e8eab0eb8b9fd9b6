import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { messageForLog } from './lib/log-errors.ts';
import { serve } from './serve.ts';

/** The only file that listens (with the demo, which seeds first). */
async function main() {
  const config = loadConfig();
  await serve(await buildApp(config), config);
}

main().catch((err) => {
  // A failed statement's values (a migration's, say) stay out of the output.
  console.error(messageForLog(err));
  process.exit(1);
});
