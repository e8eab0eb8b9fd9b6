// The API contract (issue 18, points 12 and 13): the OpenAPI document passes Redocly's lint with
// the project's redocly.yaml, says what the server enforces, and the server does what it says.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import type { OpenApiDocument, Operation, SchemaNode } from '../api-client/generate.ts';
import { actorInput } from '../factories.ts';
import { buildTestApp } from '../helper.ts';

const METHODS = ['get', 'put', 'post', 'patch', 'delete'];
const operations = (doc: OpenApiDocument) =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => (item?.[method] ? [{ path, method, op: item[method] as Operation }] : [])),
  );
const jsonSchema = (holder: { content?: Record<string, { schema?: SchemaNode } | undefined> } | undefined) =>
  holder?.content?.['application/json']?.schema;

// One app for the file: the document is the same for every test, and the requests write only their own rows.
const h = await buildTestApp(t);

t.test('the document passes Redocly lint and says what the server enforces', async (t) => {
  await h.app.ready();
  const doc = structuredClone(h.app.swagger()) as unknown as OpenApiDocument;

  const dir = mkdtempSync(join(tmpdir(), 'samspil-openapi-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'openapi.json');
  writeFileSync(file, JSON.stringify(doc));
  const lint = await promisify(execFile)('node_modules/.bin/redocly', ['lint', file, '--format=summary'], {
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
    maxBuffer: 1024 * 1024,
  }).catch((err: { stdout: string; stderr: string }) => err);
  t.notMatch(`${lint.stdout}\n${lint.stderr}`, /^error\s/m, `no Redocly errors:\n${lint.stdout}${lint.stderr}`);
  t.match(lint.stderr, /Your API description is valid/);

  t.ok(doc.servers?.length, 'servers are given');
  const declared = new Set(doc.tags.map((x) => x.name));
  const ops = operations(doc);
  const ids = ops.map(({ op }) => op.operationId);
  t.equal(new Set(ids).size, ops.length, 'every operation has its own operationId');
  t.equal(doc.paths['/api/v1/grants/{id}/transitions']?.post?.operationId, 'postGrantsByIdTransitions');
  for (const { path, method, op } of ops) {
    const where = `${method.toUpperCase()} ${path}`;
    for (const tag of op.tags ?? []) t.ok(declared.has(tag), `${where}: tag ${tag} is declared`);
    for (const [status, response] of Object.entries(op.responses)) {
      t.not(response?.description, 'Default Response', `${where} ${status} says what it means`);
      if (status === '204') t.notOk(response?.content, `${where}: 204 has no body`);
    }
    if (op.requestBody) {
      t.ok(op.responses['413'] && op.responses['415'], `${where}: 413 and 415 are documented`);
    }
    const body = jsonSchema(op.requestBody);
    if (method === 'patch' && body?.properties?.version) {
      t.ok(body.required?.includes('version'), `${where}: version is required`);
      t.ok(
        op.parameters?.some((p) => p.name === 'If-Match' && p.in === 'header'),
        `${where}: If-Match is documented`,
      );
    }
    if (['get', 'patch'].includes(method) && jsonSchema(op.responses['200'])?.properties?.version) {
      t.ok(op.responses['200']?.headers?.ETag, `${where}: ETag is documented`);
    }
  }
  const grant = jsonSchema(doc.paths['/api/v1/grants/{id}']?.get?.responses['200'])?.properties;
  t.equal(grant?.decisionOn?.format, 'date', 'dates in answers carry format: date');
  t.equal(grant?.payments?.items?.properties?.paidOn?.format, 'date');
  const upload = doc.paths['/api/v1/imports']?.post?.requestBody?.content?.['multipart/form-data']?.schema?.properties;
  t.match(upload?.file, { type: 'string', format: 'binary' }, 'the import file is a binary part');
  t.equal(upload?.mapping?.type, 'string');
  t.match(upload?.mapping?.description, /actorName.*awarded.*decisionOn.*homeMunicipality/s);
  const imported = jsonSchema(doc.paths['/api/v1/imports/{id}']?.get?.responses['200']);
  const choice = imported?.properties?.summary?.properties?.matches?.items?.properties?.choice;
  t.notOk(choice?.nullable, 'no nullable beside anyOf without a type');
  t.ok(choice?.anyOf?.length, 'choice is a union');
  t.ok(
    choice?.anyOf?.every((b) => b.nullable === true),
    'a null choice is allowed by each branch',
  );
});

t.test('405 with Allow for a method a known path does not offer, API and pages', async (t) => {
  const api = await h.inject({ method: 'DELETE', url: '/api/v1/grant-rounds' });
  t.equal(api.statusCode, 405);
  t.equal(api.headers.allow, 'GET, HEAD, POST');
  t.match(api.json(), { statusCode: 405, code: 'METHOD_NOT_ALLOWED' });
  const one = await h.inject({ method: 'PUT', url: '/api/v1/actors/5' });
  t.equal(one.statusCode, 405);
  t.equal(one.headers.allow, 'GET, HEAD, PATCH');
  const page = await h.inject({ method: 'GET', url: '/actors/5/archive' });
  t.equal(page.statusCode, 405, 'a page that only takes a form');
  t.equal(page.headers.allow, 'POST');
  t.match(page.headers['content-type'], /text\/html/);
  t.equal((await h.inject({ method: 'GET', url: '/api/v1/no-such-thing' })).statusCode, 404, 'unknown paths stay 404');
});

t.test('a body of another media type than the operation reads gets 415, not a silent parse', async (t) => {
  const form = await h.inject({
    method: 'POST',
    url: '/api/v1/actors',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'name=Foreningen+Form&orgType=association&roles=advocate',
  });
  t.equal(form.statusCode, 415);
  t.match(form.json(), { statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
  const text = await h.inject({
    method: 'POST',
    url: '/api/v1/actors',
    headers: { 'content-type': 'text/plain' },
    payload: JSON.stringify(actorInput()),
  });
  t.equal(text.statusCode, 415);
  t.match(text.json(), { code: 'UNSUPPORTED_MEDIA_TYPE' });
  const json = await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name: 'Gadeteatret' }) });
  t.equal(json.statusCode, 201, 'JSON is read');
  const upload = await h.inject({
    method: 'POST',
    url: '/api/v1/imports',
    headers: { 'content-type': 'application/json' },
    payload: { kind: 'grants' },
  });
  t.equal(upload.statusCode, 415, 'the import reads multipart only');
});

t.test('every versioned resource answers with its version as ETag', async (t) => {
  const finance = await h.as('finance', 101);
  const actor = (
    await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name: 'Sorgcaféen' }) })
  ).json();
  const round = await finance.inject({
    method: 'POST',
    url: '/api/v1/grant-rounds',
    payload: { year: 2026, name: '§ 18-puljen 2026', budgetOre: 1_000_000 },
  });
  t.equal(round.headers.etag, `"${round.json().version}"`, 'on creation');
  const roundId = round.json().id;
  const got = await finance.inject({ method: 'GET', url: `/api/v1/grant-rounds/${roundId}` });
  t.equal(got.headers.etag, '"1"');
  const patched = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grant-rounds/${roundId}`,
    headers: { 'if-match': got.headers.etag as string },
    payload: { name: 'Puljen 2026' },
  });
  t.equal(patched.statusCode, 200, 'If-Match states the version');
  t.equal(patched.headers.etag, '"2"');
  const grant = await finance.inject({
    method: 'POST',
    url: '/api/v1/grants',
    payload: { roundId, actorId: actor.id, title: 'Varmestue', requestedOre: 1000 },
  });
  const grantGet = await finance.inject({ method: 'GET', url: `/api/v1/grants/${grant.json().id}` });
  t.equal(grantGet.headers.etag, `"${grantGet.json().version}"`);
  const noVersion = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grants/${grant.json().id}`,
    payload: { title: 'Uden version' },
  });
  t.equal(noVersion.statusCode, 400, 'a PATCH without a version is refused, as the document says');
  const list = await finance.inject({ method: 'GET', url: '/api/v1/grants' });
  t.notOk(list.headers.etag, 'a list is not a versioned resource');
});
