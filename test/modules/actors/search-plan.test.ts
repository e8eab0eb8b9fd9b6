import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildTestApp } from '../../helper.ts';

/**
 * The registry's search is a prepared statement run on every keystroke, so PostgreSQL soon plans it
 * once for any words (its generic plan). There, what the words become (samspil_norm's replaces and
 * regexp, the parsed text query) must be worked out once for the statement, in its own subqueries
 * (InitPlans), not again for every actor compared: that cost 4.9-9.6 ms for a common word over the
 * national data set, and 2.3-2.6 ms without it (bench/PAGE-COSTS.md).
 */
t.test('the search works out the words once, not for each actor, in its generic plan', async (t) => {
  const h = await buildTestApp(t);
  const client = (h.database.db as unknown as { session: { client: Record<string, unknown> } }).session.client;
  const method = typeof client.unsafe === 'function' ? 'unsafe' : 'query';
  const send = client[method] as (query: string, params?: unknown[], ...rest: unknown[]) => unknown;
  const sent: [string, unknown[]][] = [];
  client[method] = function (this: unknown, query: string, params?: unknown[], ...rest: unknown[]) {
    sent.push([query, params ?? []]);
    return send.call(this, query, params, ...rest);
  };
  t.teardown(() => {
    client[method] = send;
  });

  const searches: [string, () => Promise<unknown>][] = [
    ['through the whole registry', () => h.app.services.actors.list({ q: 'Havnen', limit: 25, offset: 0 } as never)],
    [
      'within a municipality',
      () => h.app.services.actors.list({ q: 'Havnen', municipalityCode: 101, limit: 25, offset: 0 } as never),
    ],
    ['for look-alikes of a name typed', () => h.app.services.actors.similarNames('Foreningen Havnen')],
    [
      'in the grant list, by words',
      () => h.app.services.grants.listGrants({ q: 'natcafé lanterne', limit: 50, offset: 0 } as never),
    ],
  ];
  for (const [where, search] of searches) {
    sent.length = 0;
    await search();
    const statement = sent.find(([text]) => /from "?(actors|grants)\b/.test(text) && /samspil_norm/.test(text));
    if (!statement) throw new Error(`no search statement among:\n${sent.map(([s]) => s).join('\n')}`);
    const [text, params] = statement;
    const literal = (v: unknown) => (typeof v === 'number' ? String(v) : `'${String(v).replaceAll("'", "''")}'`);
    const plan = await h.database.db.transaction(async (tx) => {
      await tx.execute(sql`set local plan_cache_mode = force_generic_plan`);
      await tx.execute(sql.raw(`prepare search_plan as ${text}`));
      try {
        const explained = await h.database.rows<{ 'QUERY PLAN': unknown }>(
          sql.raw(`explain (format json, verbose, costs off) execute search_plan(${params.map(literal).join(', ')})`),
          tx,
        );
        return explained[0]?.['QUERY PLAN'];
      } finally {
        await tx.execute(sql`deallocate search_plan`);
      }
    });
    const root = ((typeof plan === 'string' ? JSON.parse(plan) : plan) as { Plan: Record<string, unknown> }[])[0]?.Plan;
    // Every expression of the plan outside its InitPlans.
    const outside: string[] = [];
    const walk = (node: Record<string, unknown>) => {
      if (node['Parent Relationship'] === 'InitPlan') return;
      for (const [key, value] of Object.entries(node)) {
        if (key === 'Plans') for (const child of value as Record<string, unknown>[]) walk(child);
        else if (typeof value === 'string') outside.push(value);
        else if (Array.isArray(value)) outside.push(...value.filter((v): v is string => typeof v === 'string'));
      }
    };
    if (root) walk(root);
    t.ok(outside.length > 10, `${where}: the plan was read`);
    // (The grant list folds its own columns for each grant: only what is given is folded once.)
    t.same(
      outside.filter((e) => /websearch_to_tsquery|samspil_norm|lower\(\$/.test(e)),
      [],
      `${where}: the words are parsed and normalised in InitPlans only`,
    );
  }
});
