import { sql } from 'drizzle-orm';
import type { Test } from 'tap';
import { validCvr } from '../../factories.ts';
import { buildTestApp, type Client, type TestApp } from '../../helper.ts';
import { uploadApi } from './upload.ts';

/** What reimport.test.ts and reimport-rows.test.ts share: a first file, and reading what it wrote. */

export const CVR = validCvr(5301);
export const FULL = [
  'Sagsnr;Forening;CVR;Projekt;Formål;År;Ansøgt;Bevilget;Målgruppe;Dato',
  `R-1;Varmestuen Vest;${CVR};Morgenmad;Et varmt måltid;2025;30.000;25.000;Stofmisbrug;1.3.2025`,
  'R-2;Gadeholdet;;Fodbold;Træning to gange om ugen;2025;10.000;0;Stofmisbrug;1.3.2025',
].join('\n');

export async function settled(h: TestApp, c: Client, id: number) {
  await h.app.importRunner.idle();
  return (await c.inject({ method: 'GET', url: `/api/v1/imports/${id}` })).json();
}

export async function grant(h: TestApp, ref: string) {
  const [row] = await h.database.rows<Record<string, unknown>>(
    sql`select g.id, g.title, g.purpose, g.requested_ore::int as requested, g.awarded_ore::int as awarded, g.status,
               g.decision_on::text as decided, g.version,
               (select json_agg(json_build_object('group', target_group_id, 'amount', amount_ore::int)
                                order by target_group_id)
                  from grant_allocations where grant_id = g.id) as alloc
        from grants g where g.external_ref = ${ref}`,
  );
  return row as Record<string, unknown>;
}

export async function firstImport(t: Test) {
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const item = (await uploadApi(finance, 'grants', Buffer.from(FULL))).json();
  t.equal(item.status, 'queued', JSON.stringify(item.problems));
  t.match(await settled(h, finance, item.id), { status: 'done', createdCount: 2 });
  // The round the file created has the file's awards as its budget: finance gives it room, so a
  // second file may raise an award (the budget guard has its own tests, in budget.test.ts).
  const [round] = (
    await finance.inject({ method: 'GET', url: '/api/v1/grant-rounds?municipalityCode=101&year=2025' })
  ).json().items;
  const roomier = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grant-rounds/${round.id}`,
    payload: { budgetOre: 10_000_000, version: round.version },
  });
  t.equal(roomier.statusCode, 200, 'the round’s budget is raised');
  return { h, finance };
}
