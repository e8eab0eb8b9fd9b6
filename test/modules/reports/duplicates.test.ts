import { sql } from 'drizzle-orm';
import t from 'tap';
import type { Scope } from '../../../src/modules/reports/reports.repository.ts';
import {
  suspectedDuplicates,
  suspectedDuplicatesQuery,
} from '../../../src/modules/reports/reports.shared-actors.repository.ts';
import { actorInput, validCvr } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';

/**
 * The suspected duplicates of the shared-actors report: actors of different municipalities, not
 * archived, with names alike after folding (or one CVR), and not two CVRs that differ. Which pairs,
 * in what scope, and (issue 17) found through the trigram index, not by comparing every pair of
 * actors: over the national data set that ran past the statement timeout.
 */
t.test('suspected duplicates: which pairs, in which scope, through the trigram index', async (t) => {
  const h = await buildTestApp(t);
  const ids: Record<string, number> = {};
  // Each municipality registers its own actors.
  const registrars = { 101: h, 147: await h.as('coordinator', 147), 751: await h.as('coordinator', 751) };
  const actor = async (key: string, name: string, home: 101 | 147 | 751, more: Record<string, unknown> = {}) => {
    const res = await registrars[home].inject({
      method: 'POST',
      url: '/api/v1/actors?allowSimilar=true',
      payload: actorInput({ name, homeMunicipalityCode: home, municipalityCodes: [home], contacts: [], ...more }),
    });
    t.equal(res.statusCode, 201, res.body);
    ids[key] = (res.json() as { id: number }).id;
  };
  // København (101) and Frederiksberg (147) are in the Capital Region (1084), Aarhus (751) is not.
  await actor('A', 'Gadens Stemme København', 101);
  await actor('B', 'Gadens Stemme Kobenhavn', 751);
  await actor('C', 'Gadens Stemme Københaven', 147);
  await actor('D', 'Gadens Stemme Københavns', 101);
  await actor('E', 'Gadens Stemme Kbenhavn', 147, { status: 'archived' });
  await actor('F', 'Natcaféen Lyset', 101, { cvr: validCvr(4101) });
  await actor('G', 'Natcafeen Lyset', 751, { cvr: validCvr(4751) });
  await actor('H', 'Natcaféen Lyset.', 147);
  await actor('Z', 'Foreningen Lanternen', 751);
  const name = Object.fromEntries(Object.entries(ids).map(([k, id]) => [id, k]));
  const pairs = async (scope: Scope) =>
    (await suspectedDuplicates(h.database, scope)).map((d) => `${name[d.aId]}${name[d.bId]}:${d.reason}`).sort();

  t.same(
    await pairs({ kind: 'national' }),
    ['AB', 'AC', 'BC', 'BD', 'CD', 'FH', 'GH'].map((p) => `${p}:similar_name`),
    'names alike across municipalities; not A and D (one municipality), not E (archived), not F and G (two CVRs)',
  );
  t.same(
    await pairs({ kind: 'region', code: 1084 }),
    ['AC', 'CD', 'FH'].map((p) => `${p}:similar_name`),
    'a region compares its own municipalities’ actors only',
  );
  t.same(await pairs({ kind: 'municipality', code: 101 }), [], 'one municipality has none with itself');

  const plan = await h.database.db.transaction(async (tx) => {
    await tx.execute(sql`set local pg_trgm.similarity_threshold = 0.6`);
    // A handful of actors are read fastest in a row; can the names be looked up in the index?
    await tx.execute(sql`set local enable_seqscan = off`);
    await tx.execute(sql`set local enable_indexscan = off`);
    const [row] = await h.database.rows<{ 'QUERY PLAN': unknown }>(
      sql`explain (format json, costs off) ${suspectedDuplicatesQuery({ kind: 'national' }, 200)}`,
      tx,
    );
    return JSON.stringify(row?.['QUERY PLAN']);
  });
  t.match(plan, /actors_name_norm_trgm_idx/, 'each name looks up those like it in the trigram index');
});
