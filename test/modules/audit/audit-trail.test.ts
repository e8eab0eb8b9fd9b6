import { sql } from 'drizzle-orm';
import t from 'tap';
import { auditFacets, searchAuditTrail } from '../../../src/modules/audit/audit.repository.ts';
import { buildTestApp } from '../../helper.ts';
import { explainSent, recordStatements } from '../../plans.ts';

/**
 * A municipality's audit trail grows with every write it makes, for as long as it uses Samspil
 * (issue 17): a page of it is read off an index in its order, and the filters' choices (the entities
 * and actions it holds) by one index descent per pair, never by reading all of it. What they give
 * must be what the trail holds.
 */
t.test('the audit trail: a page in its order, and the entities and actions it holds', async (t) => {
  const h = await buildTestApp(t);
  const db = h.database.db;
  const entries: [number, string, string, string][] = [
    [101, 'grant', 'update', '2026-03-01T10:00:00Z'],
    [101, 'actor', 'create', '2026-03-01T10:00:00Z'],
    [101, 'actor_contact', 'erase', '2026-03-02T09:00:00Z'],
    [101, 'grant', 'create', '2026-02-01T08:00:00Z'],
    [101, 'meeting', 'log', '2026-03-03T12:00:00Z'],
    [147, 'outreach', 'delete', '2026-03-04T12:00:00Z'],
  ];
  for (const [code, entity, action, at] of entries)
    await h.database.rows(
      sql`insert into audit_log (at, municipality_code, entity, entity_id, action)
          values (${at}::timestamptz, ${code}, ${entity}, '1', ${action})`,
    );

  const facets = await auditFacets(db, 101);
  const [distinct] = await h.database.rows<{ entities: string[]; actions: string[] }>(
    sql`select array(select distinct entity from audit_log where municipality_code = 101 order by entity) as entities,
      array(select distinct action from audit_log where municipality_code = 101 order by action) as actions`,
  );
  t.strictSame(facets, distinct, 'the entities and actions of its own entries, each once, in order');
  t.ok(facets.entities.includes('meeting') && !facets.entities.includes('outreach'), 'not another’s');
  t.strictSame(await auditFacets(db, 461), { entities: [], actions: [] }, 'a trail with no entries: none');

  const page = await searchAuditTrail(db, 101, { limit: 2, offset: 1 });
  const ordered = await h.database.rows<{ id: number }>(
    sql`select id from audit_log where municipality_code = 101 order by at desc, id desc limit 2 offset 1`,
  );
  t.same(
    page.rows.map((r) => Number(r.id)),
    ordered.map((r) => Number(r.id)),
    'a page, newest first (of two at one moment, the later written)',
  );
  t.equal(
    Number(page.total),
    (await h.database.rows(sql`select id from audit_log where municipality_code = 101`)).length,
  );

  // The page's order comes from an index: the statement searchAuditTrail sends, explained with
  // sorting ruled out, has no sort.
  const { sent, stop } = recordStatements(h.database);
  await searchAuditTrail(db, 101, { limit: 50, offset: 0 });
  stop();
  const statement = sent.find(([text]) => /order by "audit_log"."at" desc/.test(text));
  if (!statement) throw new Error(`no page statement among:\n${sent.map(([q]) => q).join('\n')}`);
  const plan = (await explainSent(h.database, statement, [sql`set local enable_sort = off`], 'costs off')).join('\n');
  t.notMatch(plan, /Sort/, `read in its order off an index:\n${plan}`);
  t.match(plan, /audit_log_municipality_at_id_idx/);
});
