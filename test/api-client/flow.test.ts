// A whole flow through a client generated from the OpenAPI document (openapi-typescript 6 types in
// schema.d.ts, openapi-fetch), as an outside developer would write it: every answer must be a
// status the document lists for that operation, with a body the documented schema accepts (ajv).
import { Ajv } from 'ajv';
import formats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import createClient, { type Middleware } from 'openapi-fetch';
import t from 'tap';
import { actorInput } from '../factories.ts';
import { buildTestApp } from '../helper.ts';
import { liveDocument, type OpenApiDocument } from './generate.ts';
import type { paths } from './schema.d.ts';

/** fetch over app.inject: the client speaks HTTP to the app without a port. */
function injectFetch(app: FastifyInstance) {
  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const res = await app.inject({
      method: request.method as 'GET',
      url: url.pathname + url.search,
      headers: Object.fromEntries(request.headers),
      ...(body ? { payload: body } : {}),
    });
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      for (const x of [v ?? []].flat()) headers.append(k, String(x));
    }
    const empty = res.statusCode === 204 || res.statusCode === 304;
    return new Response(empty ? null : new Uint8Array(res.rawPayload), { status: res.statusCode, headers });
  };
}

/** Checks every answer against the document; what does not match is collected, to be reported. */
function contractChecker(doc: OpenApiDocument) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  // ajv-formats is CommonJS: its plugin is the module's default export, or the module itself.
  const plugin = formats as unknown as ((a: Ajv) => Ajv) & { default?: (a: Ajv) => Ajv };
  const addFormats = plugin.default ?? plugin;
  addFormats(ajv);
  const seen: string[] = [];
  const problems: string[] = [];
  const middleware: Middleware = {
    async onResponse({ request, response, schemaPath }) {
      const where = `${request.method} ${schemaPath} → ${response.status}`;
      seen.push(where);
      const documented = doc.paths[schemaPath]?.[request.method.toLowerCase()]?.responses?.[String(response.status)];
      if (!documented) {
        problems.push(`${where}: this status is not documented (${await response.clone().text()})`);
        return;
      }
      const schema = documented.content?.['application/json']?.schema;
      const text = await response.clone().text();
      if (!schema) {
        if (text !== '') problems.push(`${where}: documented without a body, but answered ${text.slice(0, 200)}`);
        return;
      }
      const validate = ajv.compile({ ...schema, components: doc.components });
      if (!validate(JSON.parse(text))) {
        problems.push(`${where}: ${ajv.errorsText(validate.errors)}`);
      }
    },
  };
  return { middleware, seen, problems };
}

t.test('a whole flow through the generated client, every answer as documented', async (t) => {
  const h = await buildTestApp(t);
  const doc = (await liveDocument(h.app)) as unknown as OpenApiDocument;
  const checker = contractChecker(doc);
  const api = createClient<paths>({
    baseUrl: 'http://samspil.test',
    fetch: injectFetch(h.app),
    headers: { authorization: `Bearer ${h.token}` },
  });
  api.use(checker.middleware);

  const groups = await api.GET('/api/v1/target-groups');
  const groupId = groups.data?.items.find((g) => g.parentId === null)?.id ?? 0;
  t.ok(groupId, 'a target group to award to');

  const created = await api.POST('/api/v1/actors', { body: actorInput({ name: 'Varmestuen Vesterbro' }) });
  t.equal(created.response.status, 201);
  const actorId = created.data?.id ?? 0;
  const actor = await api.GET('/api/v1/actors/{id}', { params: { path: { id: actorId } } });
  t.equal(actor.response.headers.get('etag'), `"${actor.data?.version}"`);
  const renamed = await api.PATCH('/api/v1/actors/{id}', {
    params: { path: { id: actorId } },
    body: { version: actor.data?.version ?? 0, description: 'Varmestue og rådgivning' },
  });
  t.equal(renamed.data?.version, 2);
  const stale = await api.PATCH('/api/v1/actors/{id}', {
    params: { path: { id: actorId } },
    body: { version: 1, description: 'Forældet' },
  });
  t.equal(stale.response.status, 409);
  t.equal(stale.error?.code, 'STALE_VERSION');

  const round = await api.POST('/api/v1/grant-rounds', {
    body: { year: 2026, name: '§ 18-puljen 2026', budgetOre: 50_000_000, applicationsOpenOn: '2026-01-15' },
  });
  t.equal(round.response.status, 201);
  const roundId = round.data?.id ?? 0;
  const opened = await api.PATCH('/api/v1/grant-rounds/{id}', {
    params: { path: { id: roundId } },
    body: { version: round.data?.version ?? 0, status: 'open' },
  });
  t.equal(opened.data?.status, 'open');
  await api.GET('/api/v1/grant-rounds', { params: { query: { year: 2026 } } });

  const applied = await api.POST('/api/v1/grants', {
    body: { roundId, actorId, title: 'Åben varmestue om aftenen', requestedOre: 12_000_000 },
  });
  t.equal(applied.response.status, 201);
  const grantId = applied.data?.id ?? 0;
  const approved = await api.POST('/api/v1/grants/{id}/transitions', {
    params: { path: { id: grantId } },
    body: {
      to: 'approved',
      version: applied.data?.version ?? 0,
      awardedOre: 10_000_000,
      targetGroupId: groupId,
      decisionOn: '2026-04-01',
    },
  });
  t.equal(approved.data?.status, 'approved');
  const grant = await api.GET('/api/v1/grants/{id}', { params: { path: { id: grantId } } });
  t.equal(grant.response.headers.get('etag'), `"${grant.data?.version}"`);
  const paid = await api.PATCH('/api/v1/grants/{id}', {
    params: { path: { id: grantId } },
    body: {
      version: grant.data?.version ?? 0,
      payments: [{ kind: 'payment', paidOn: '2026-04-15', amountOre: 10_000_000 }],
    },
  });
  t.equal(paid.response.status, 200);
  await api.GET('/api/v1/grants', { params: { query: { roundId } } });
  await api.GET('/api/v1/grant-rounds/{id}', { params: { path: { id: roundId } } });

  const agreement = await api.POST('/api/v1/agreements', {
    body: {
      title: 'Samarbejde om varmestuen',
      kind: 'formal',
      actorIds: [actorId],
      targetGroupIds: [groupId],
      responsibilities: [],
      grantIds: [grantId],
      startsOn: '2026-01-01',
      endsOn: '2026-12-31',
      meetingIntervalMonths: 3,
    },
  });
  t.equal(agreement.response.status, 201);
  const agreementId = agreement.data?.id ?? 0;
  const meeting = await api.POST('/api/v1/agreements/{id}/meetings', {
    params: { path: { id: agreementId } },
    body: {
      heldOn: '2026-03-10',
      participants: 'Kommunen og foreningen',
      actionItems: [{ text: 'Send regnskab', dueOn: '2026-04-01' }],
    },
  });
  t.equal(meeting.response.status, 201);
  const items = await api.GET('/api/v1/action-items', {});
  const item = items.data?.items[0];
  if (item) {
    const done = await api.PATCH('/api/v1/action-items/{id}', {
      params: { path: { id: item.id } },
      body: { version: item.version, done: true },
    });
    t.ok(done.data?.doneAt, 'ticked off');
  }
  const active = await api.PATCH('/api/v1/agreements/{id}', {
    params: { path: { id: agreementId } },
    body: { version: agreement.data?.version ?? 0, status: 'active' },
  });
  t.equal(active.data?.status, 'active');
  await api.GET('/api/v1/agreements/{id}/meetings', { params: { path: { id: agreementId } } });
  await api.GET('/api/v1/agreements', {});

  const outreach = await api.POST('/api/v1/outreach', {
    body: {
      actorId,
      kind: 'casework',
      unit: 'Socialcentret',
      weekdays: [2],
      dates: [],
      startsAt: '10:00',
      endsAt: '12:00',
      periodStart: '2026-01-06',
    },
  });
  t.equal(outreach.response.status, 201);
  await api.GET('/api/v1/outreach/{id}', { params: { path: { id: outreach.data?.id ?? 0 } } });
  await api.GET('/api/v1/reports/proportionality', { params: { query: { municipalityCode: 101, year: 2026 } } });
  await api.GET('/api/v1/municipalities');

  const missing = await api.GET('/api/v1/grants/{id}', { params: { path: { id: 999_999 } } });
  t.equal(missing.response.status, 404);
  const invalid = await api.POST('/api/v1/grant-rounds', { body: { year: 1900, name: '', budgetOre: -1 } });
  t.equal(invalid.response.status, 400);

  t.ok(checker.seen.length >= 25, `${checker.seen.length} answers checked against the document`);
  t.same(checker.problems, [], 'every answer is a documented status with a body its schema accepts');
});
