import SwaggerParser from '@apidevtools/swagger-parser';
import t from 'tap';
import { buildTestApp } from '../helper.ts';

t.test('the OpenAPI document validates and covers the API', async (t) => {
  const { inject } = await buildTestApp(t);
  const res = await inject({ method: 'GET', url: '/docs/json' });
  t.equal(res.statusCode, 200);
  const doc = res.json();
  t.match(doc.openapi, /^3\./);
  await t.resolves(SwaggerParser.validate(structuredClone(doc)), 'valid OpenAPI 3');
  const paths = Object.keys(doc.paths).sort();
  t.same(paths, [
    '/api/v1/action-items',
    '/api/v1/action-items/{id}',
    '/api/v1/actors',
    '/api/v1/actors/merge',
    '/api/v1/actors/{id}',
    '/api/v1/actors/{id}/archive',
    '/api/v1/actors/{id}/contacts/{contactId}/erase',
    '/api/v1/agreements',
    '/api/v1/agreements/{id}',
    '/api/v1/agreements/{id}/meetings',
    '/api/v1/agreements/{id}/renewal',
    '/api/v1/applications',
    '/api/v1/applications/{id}',
    '/api/v1/applications/{id}/decision',
    '/api/v1/applications/{id}/documents/{documentId}',
    '/api/v1/applications/{id}/reviews',
    '/api/v1/exports/360giving',
    '/api/v1/exports/grants.csv',
    '/api/v1/exports/grants.xlsx',
    '/api/v1/exports/proportionality.csv',
    '/api/v1/exports/proportionality.xlsx',
    '/api/v1/grant-rounds',
    '/api/v1/grant-rounds/{id}',
    '/api/v1/grants',
    '/api/v1/grants/{id}',
    '/api/v1/grants/{id}/payments/{paymentId}',
    '/api/v1/grants/{id}/transitions',
    '/api/v1/imports',
    '/api/v1/imports/{id}',
    '/api/v1/imports/{id}/commit',
    '/api/v1/municipalities',
    '/api/v1/need-estimates',
    '/api/v1/outreach',
    '/api/v1/outreach/{id}',
    '/api/v1/public/rounds',
    '/api/v1/public/rounds/{id}',
    '/api/v1/reports/proportionality',
    '/api/v1/reports/shared-actors',
    '/api/v1/target-groups',
  ]);
  t.ok(doc.paths['/api/v1/actors'].post.requestBody, 'request bodies are documented');
  t.ok(doc.paths['/api/v1/actors/{id}'].patch.responses['409'], 'error responses are documented');
  t.equal(
    doc.paths['/api/v1/municipalities'].get.responses['200'].content['application/json'].schema.properties.items.items
      .properties.code.type,
    'integer',
    'municipality codes are integers',
  );
  t.same(doc.security, [{ bearerAuth: [] }], 'the API is documented as bearer-authenticated');
  t.equal(doc.components.securitySchemes.bearerAuth.scheme, 'bearer');
  for (const path of ['/api/v1/public/rounds', '/api/v1/public/rounds/{id}']) {
    t.same(doc.paths[path].get.security, [], `${path} needs no key`);
    t.notOk(doc.paths[path].get.responses['401'], `${path} answers no 401`);
  }
  const ui = await inject({ method: 'GET', url: '/docs' });
  t.ok([200, 302].includes(ui.statusCode), 'the UI is served');
});
