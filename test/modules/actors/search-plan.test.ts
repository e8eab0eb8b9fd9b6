import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildTestApp } from '../../helper.ts';
import { explainSent, recordStatements } from '../../plans.ts';

/**
 * The registry's search is a prepared statement run on every keystroke, so PostgreSQL soon plans it
 * once for any words (its generic plan). There, what the words become (samspil_norm's replaces and
 * regexp, the parsed text query) must be worked out once for the statement, in its own subqueries
 * (InitPlans), not again for every actor compared: that cost 4.9-9.6 ms for a common word over the
 * national data set, and 2.3-2.6 ms without it (bench/PAGE-COSTS.md). The grant list's free text
 * searches each grant's text as folded when it was written, in a trigram index.
 */
t.test('the search works out the words once, not for each actor, in its generic plan', async (t) => {
  const h = await buildTestApp(t);
  const { sent, stop } = recordStatements(h.database);
  t.teardown(stop);

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
    [
      'in one municipality’s grant list, by words',
      () =>
        h.app.services.grants.listGrants({
          q: 'natcafé lanterne',
          municipalityCode: 101,
          limit: 50,
          offset: 0,
        } as never),
    ],
  ];
  for (const [where, search] of searches) {
    sent.length = 0;
    await search();
    const statement = sent.find(([text]) => /from "?(actors|grants)\b/.test(text) && /samspil_norm/.test(text));
    if (!statement) throw new Error(`no search statement among:\n${sent.map(([s]) => s).join('\n')}`);
    const grantList = where === 'in the grant list, by words';
    const [plan] = await explainSent(
      h.database,
      statement,
      [
        sql`set local plan_cache_mode = force_generic_plan`,
        // A few grants are read fastest in a row; can their words be looked up in an index?
        ...(grantList ? [sql`set local enable_seqscan = off`] : []),
      ],
      'format json, verbose, costs off',
    );
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
    t.same(
      outside.filter((e) => /websearch_to_tsquery|samspil_norm|lower\(\$/.test(e)),
      [],
      `${where}: the words are parsed and normalised in InitPlans only`,
    );
    if (where === 'through the whole registry' || where === 'within a municipality') {
      // The name's trigrams are compared (word_similarity, 3.5 µs an actor) only for a name that does
      // not hold the text: "Havnen" found 445 actors in the national data set, all of them so.
      const ranked = outside.filter((e) => e.includes('word_similarity'));
      t.ok(ranked.length > 0, `${where}: the name counts in the rank`);
      for (const e of ranked)
        t.match(
          e,
          /CASE WHEN \(\w+\.name_norm ~~ .+\) THEN '1'::real ELSE word_similarity\(/,
          `${where}: a name's trigrams are compared only when it does not hold the text`,
        );
    }
    if (grantList) {
      // A grant's text and its actor's name are folded as written (grants.text_norm, actors.name_norm):
      // folding every grant's text for each search cost 1-2 s over the national data set (issue 17).
      t.same(
        outside.filter((e) => /lower\(|regexp_replace/.test(e)),
        [],
        `${where}: no grant's text is folded as it is searched`,
      );
      t.match(
        JSON.stringify(plan),
        /grants_text_norm_trgm_idx/,
        `${where}: its words are looked up in a trigram index`,
      );
    }
  }
});
