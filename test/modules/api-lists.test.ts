import t from 'tap';
import { buildTestApp, type Client } from '../helper.ts';
import { oneAwardedGrant } from './award-fixture.ts';

type Schema = {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  default?: unknown;
  maximum?: number;
};
type Operation = {
  parameters?: { name: string; in: string; schema: Schema }[];
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
};

async function openapi(h: Client) {
  return (await h.inject({ method: 'GET', url: '/docs/json' })).json() as {
    paths: Record<string, Record<string, Operation>>;
  };
}

// One app for the tests that read the contract or write rows only they look at. The grant rounds'
// test has its own: it counts every round there is.
const h = await buildTestApp(t);

const ok200 = (op: Operation) => op.responses['200']?.content?.['application/json']?.schema;

/** Every property name in a schema, nested ones included, with its type. */
function propertyNames(schema: Schema | undefined, out = new Set<string>()): Set<string> {
  if (!schema) return out;
  for (const [name, s] of Object.entries(schema.properties ?? {})) {
    out.add(`${name}:${s.type ?? s.anyOf?.map((x) => x.type).join('|')}`);
    propertyNames(s, out);
  }
  propertyNames(schema.items, out);
  for (const s of schema.anyOf ?? []) propertyNames(s, out);
  return out;
}

t.test('every list is {items, total} with limit and offset, the same defaults everywhere', async (t) => {
  const doc = await openapi(h);
  const lists: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    const op = ops.get;
    const schema = op && ok200(op);
    if (!op || !schema) continue;
    t.not(schema.type, 'array', `GET ${path} answers an object, not a bare array`);
    if (!schema.properties?.items) continue;
    lists.push(path);
    t.equal(schema.properties.items.type, 'array', `${path}: items is an array`);
    t.equal(schema.properties.total?.type, 'integer', `${path}: total is an integer`);
    const param = (name: string) => op.parameters?.find((p) => p.in === 'query' && p.name === name)?.schema;
    t.match(param('limit'), { type: 'integer', default: 100, maximum: 500 }, `${path}: limit`);
    t.match(param('offset'), { type: 'integer', default: 0 }, `${path}: offset`);
  }
  t.same(
    lists.sort(),
    [
      '/api/v1/action-items',
      '/api/v1/actors',
      '/api/v1/agreements',
      '/api/v1/agreements/{id}/meetings',
      '/api/v1/applications',
      '/api/v1/grant-rounds',
      '/api/v1/grants',
      '/api/v1/municipalities',
      '/api/v1/need-estimates',
      '/api/v1/outreach',
      '/api/v1/public/rounds',
      '/api/v1/target-groups',
    ],
    'the lists',
  );

  // And the answers are so: a page of one, and the total of all.
  const all = (await h.inject({ method: 'GET', url: '/api/v1/municipalities' })).json();
  t.equal(all.items.length, 98, 'the default page holds all 98');
  const municipalities = await h.inject({ method: 'GET', url: '/api/v1/municipalities?limit=2&offset=96' });
  t.same(municipalities.json(), { items: all.items.slice(96), total: 98 }, 'the last two');
  const groups = await h.inject({ method: 'GET', url: '/api/v1/target-groups?limit=5' });
  t.same([groups.json().items.length, groups.json().total], [5, 57]);
  t.equal((await h.inject({ method: 'GET', url: '/api/v1/actors?limit=501' })).statusCode, 400, 'max 500');
  t.equal((await h.inject({ method: 'GET', url: '/api/v1/grants?limit=0' })).statusCode, 400, 'min 1');
});

t.test('grant rounds: paged, and filtered by municipality and year', async (t) => {
  // Its own app: the lists below count every round in the database.
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const aarhus = await h.as('finance', 751);
  const round = (c: Client, year: number, name: string) =>
    c.inject({ method: 'POST', url: '/api/v1/grant-rounds', payload: { year, name, budgetOre: 100_000_00 } });
  for (const [c, year, name] of [
    [finance, 2026, 'A-puljen'],
    [finance, 2026, 'B-puljen'],
    [finance, 2025, 'C-puljen'],
    [aarhus, 2026, 'Aarhus-puljen'],
  ] as const) {
    t.equal((await round(c, year, name)).statusCode, 201);
  }
  const list = async (query: string) =>
    (await h.inject({ method: 'GET', url: `/api/v1/grant-rounds?${query}` })).json();

  const first = await list('municipalityCode=101&year=2026&limit=1');
  t.equal(first.total, 2, 'two rounds of Copenhagen in 2026');
  t.same(
    first.items.map((r: { name: string }) => r.name),
    ['A-puljen'],
  );
  const second = await list('municipalityCode=101&year=2026&limit=1&offset=1');
  t.same(
    second.items.map((r: { name: string; municipalityCode: number; year: number }) => [
      r.name,
      r.municipalityCode,
      r.year,
    ]),
    [['B-puljen', 101, 2026]],
  );
  t.match(second.items[0], { budgetOre: 100_000_00, remainingOre: '10000000' }, 'each with its overview');
  t.same((await list('municipalityCode=101&limit=1&offset=2')).items[0].name, 'C-puljen');
  const all = await list('');
  t.equal(all.total, 4);
  t.same(
    all.items.map((r: { name: string }) => r.name),
    ['A-puljen', 'B-puljen', 'Aarhus-puljen', 'C-puljen'],
    'newest year first, then by municipality and name',
  );
  t.same((await list('year=2024')).items, [], 'a year with none');
});

t.test('money in øre ends in Ore: orePerPerson, not krPerPerson', async (t) => {
  const finance = await h.as('finance', 101);
  const doc = await openapi(h);
  const names = new Set<string>();
  for (const ops of Object.values(doc.paths))
    for (const op of Object.values(ops))
      for (const s of Object.values(op.responses)) propertyNames(s.content?.['application/json']?.schema, names);
  t.same(
    [...names].filter((n) => {
      const [name = '', type = ''] = n.split(':');
      return (
        /integer|number|string/.test(type) &&
        /kr(?![a-z])|Kr|kroner|amount|budget|price/i.test(name) &&
        !name.endsWith('Ore')
      );
    }),
    [],
    'no money field without the Ore suffix',
  );
  t.ok([...names].some((n) => n.startsWith('orePerPerson:')));

  const { group } = await oneAwardedGrant(h, finance, 3, 100_050);
  const report = (
    await finance.inject({ method: 'GET', url: '/api/v1/reports/proportionality?municipalityCode=101&year=2026' })
  ).json();
  const row = report.rows.find((r: { targetGroupId: number }) => r.targetGroupId === group);
  t.equal(row.orePerPerson, '33350', '1.000,50 kr. for 3 people: 333,50 kr. each, in øre');
  t.notOk('krPerPerson' in row);
});

t.test('yes/no query parameters are booleans in the contract and refuse anything else', async (t) => {
  const doc = await openapi(h);
  const param = (path: string, method: string, name: string) =>
    doc.paths[path]?.[method]?.parameters?.find((p) => p.name === name)?.schema.type;
  t.equal(param('/api/v1/grants', 'get', 'overdue'), 'boolean');
  t.equal(param('/api/v1/action-items', 'get', 'open'), 'boolean');
  t.equal(param('/api/v1/actors', 'post', 'allowSimilar'), 'boolean');
  t.equal((await h.inject({ method: 'GET', url: '/api/v1/grants?overdue=true' })).statusCode, 200);
  t.equal((await h.inject({ method: 'GET', url: '/api/v1/action-items?open=false' })).statusCode, 200);
  t.equal((await h.inject({ method: 'GET', url: '/api/v1/grants?overdue=yes' })).statusCode, 400);
});

t.test('framework errors answer with Samspil’s codes and messages, in Danish or English', async (t) => {
  const post = (headers: Record<string, string>, payload: string | Buffer) =>
    h.inject({ method: 'POST', url: '/api/v1/actors', headers, payload });
  const json = { 'content-type': 'application/json' };

  const malformed = await post(json, '{"name": ');
  t.equal(malformed.statusCode, 400);
  t.match(malformed.json(), { code: 'MALFORMED_JSON', message: /ikke gyldig JSON/ });
  const english = await post({ ...json, 'accept-language': 'en' }, '{"name": ');
  t.match(english.json(), { code: 'MALFORMED_JSON', message: /not valid JSON/ });

  const empty = await post(json, '');
  t.match([empty.statusCode, empty.json().code], [400, 'MALFORMED_JSON']);

  const large = await post(json, Buffer.alloc(1024 * 1024 + 10, 0x20));
  t.equal(large.statusCode, 413);
  t.match(large.json(), { code: 'BODY_TOO_LARGE', message: 'Forespørgslen er for stor.' });

  const xml = await post({ 'content-type': 'application/xml' }, '<actor/>');
  t.equal(xml.statusCode, 415);
  t.match(xml.json(), { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Indholdstypen understøttes ikke.' });

  const notMultipart = await h.inject({ method: 'POST', url: '/api/v1/imports', headers: json, payload: '{}' });
  t.notMatch(notMultipart.json().code, /^FST_/, 'an import that is not multipart');

  for (const res of [malformed, english, empty, large, xml, notMultipart]) {
    t.notMatch(res.json().code, /^FST_/, `${res.statusCode}: no framework code`);
  }
});
