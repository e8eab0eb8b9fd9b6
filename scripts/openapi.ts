// Writes the app's OpenAPI document (what /docs/json serves), or with --types the client types
// openapi-typescript makes of it, to a file or to standard output:
//   node --import=tsx scripts/openapi.ts [--types] [file]
// `npm run lint:openapi` lints the document with Redocly; test/api-client/schema.test.ts checks the types.
import { writeFileSync } from 'node:fs';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { liveDocument, schemaTypes } from '../test/api-client/generate.ts';

const args = process.argv.slice(2);
const types = args.includes('--types');
const file = args.find((a) => !a.startsWith('--'));

// The document is built from the routes alone: the database is opened but never migrated or read.
const database = await openDatabase({ kind: 'pglite', dataDir: '' }, { inMemory: true });
const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }), { database, logger: false });
try {
  const doc = await liveDocument(app);
  const text = types ? await schemaTypes(doc) : `${JSON.stringify(doc, null, 2)}\n`;
  if (file) writeFileSync(file, text);
  else process.stdout.write(text);
} finally {
  await app.close();
  await database.close();
}
