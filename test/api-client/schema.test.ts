// The committed client types (test/api-client/schema.d.ts, used by flow.test.ts) are what
// openapi-typescript 6 makes of the live OpenAPI document: a change to the API shows in the types.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { buildTestApp } from '../helper.ts';
import { liveDocument, REGENERATE, SCHEMA_TYPES, schemaTypes } from './generate.ts';

t.test('the committed client types match the live OpenAPI document', async (t) => {
  const { app } = await buildTestApp(t, { users: false });
  const generated = await schemaTypes(await liveDocument(app));
  const committed = readFileSync(SCHEMA_TYPES, 'utf8');
  t.ok(generated === committed, `test/api-client/schema.d.ts is out of date; regenerate it with: ${REGENERATE}`);
});
