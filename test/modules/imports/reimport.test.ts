import { sql } from 'drizzle-orm';
import t from 'tap';
import { actorInput, validCvr } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';
import { CVR, FULL, firstImport, grant, settled } from './reimport-fixture.ts';
import { uploadApi } from './upload.ts';

/**
 * What a second file does to what the first one wrote: only the fields it gives, never a decision
 * taken back, never another municipality's actor, and nothing when someone else got there first.
 */

// One app for the last two tests, which start from no first file: each makes actors of its own, under
// a CVR number of its own. The others each start from a first file on an app of their own
// (firstImport): they all change the same grants, R-1 and R-2.
const h = await buildTestApp(t);

t.test('a file with fewer columns changes only the fields it gives', async (t) => {
  const { h, finance } = await firstImport(t);
  const before = await grant(h, 'R-1');

  // Only the requested amount is mapped: title, purpose, award, decision and status stay as they are.
  const thin = ['Sagsnr;Forening;CVR;År;Ansøgt', `R-1;Varmestuen Vest;${CVR};2025;30.000`].join('\n');
  const same = (await uploadApi(finance, 'grants', Buffer.from(thin))).json();
  t.equal(same.status, 'queued', JSON.stringify(same.problems));
  t.match(await settled(h, finance, same.id), { status: 'done', createdCount: 0, updatedCount: 0, skippedCount: 1 });
  t.same(await grant(h, 'R-1'), before, 'nothing of the grant changes');

  const more = ['Sagsnr;Forening;CVR;År;Ansøgt', `R-1;Varmestuen Vest;${CVR};2025;32.000`].join('\n');
  const item = (await uploadApi(finance, 'grants', Buffer.from(more))).json();
  t.match(await settled(h, finance, item.id), { status: 'done', updatedCount: 1 });
  t.same(
    await grant(h, 'R-1'),
    { ...before, requested: 3_200_000, version: Number(before.version) + 1 },
    'only the requested amount changes; the award, its allocation and the decision stay',
  );
  const [audit] = await h.database.rows<{ before: Record<string, unknown>; after: Record<string, unknown> }>(
    sql`select before, after from audit_log where entity = 'grant' and entity_id = ${String(before.id)}
        order by id desc limit 1`,
  );
  t.match(audit, {
    before: { requestedOre: 3_000_000, status: 'approved' },
    after: { requestedOre: 3_200_000, status: 'approved' },
  });
});

t.test('another target group without an amount moves the award to it', async (t) => {
  const { h, finance } = await firstImport(t);
  const before = await grant(h, 'R-1');
  const [other] = await h.database.rows<{ id: number }>(
    sql`select id from target_groups where name_da = 'Hjemløshed' and municipality_code is null`,
  );
  const moved = ['Sagsnr;Forening;CVR;År;Ansøgt;Målgruppe', `R-1;Varmestuen Vest;${CVR};2025;30.000;Hjemløshed`].join(
    '\n',
  );
  const item = (await uploadApi(finance, 'grants', Buffer.from(moved))).json();
  t.equal(item.status, 'queued', JSON.stringify(item.problems));
  t.match(item.summary, { updated: 1 }, 'the preview says the grant changes');
  t.match(await settled(h, finance, item.id), { status: 'done', updatedCount: 1 });
  t.same(
    await grant(h, 'R-1'),
    { ...before, alloc: [{ group: other?.id, amount: 2_500_000 }], version: Number(before.version) + 1 },
    'the whole award now goes to Hjemløshed; nothing else changes',
  );
});

t.test('a grant split over several groups stays split when the file says nothing new', async (t) => {
  const { h, finance } = await firstImport(t);
  const g = await grant(h, 'R-1');
  const [other] = await h.database.rows<{ id: number }>(
    sql`select id from target_groups where name_da = 'Hjemløshed' and municipality_code is null`,
  );
  await h.database.db.transaction(async (tx) => {
    await tx.execute(sql`delete from grant_allocations where grant_id = ${g.id}`);
    await tx.execute(sql`insert into grant_allocations (grant_id, target_group_id, amount_ore)
      select ${g.id}::int, id, 1500000 from target_groups where name_da = 'Stofmisbrug' and municipality_code is null
      union all select ${g.id}::int, ${other?.id}::int, 1000000`);
  });
  const split = await grant(h, 'R-1');
  t.equal((split.alloc as unknown[]).length, 2);

  const again = (await uploadApi(finance, 'grants', Buffer.from(FULL))).json();
  t.match(await settled(h, finance, again.id), { status: 'done', createdCount: 0, updatedCount: 0, skippedCount: 2 });
  t.same(await grant(h, 'R-1'), split, 'the same file leaves the split alone');

  // Naming one of the split's groups with the same award leaves the split too.
  const named = (
    await uploadApi(finance, 'grants', Buffer.from(FULL.replace(';25.000;Stofmisbrug;', ';25.000;Hjemløshed;')))
  ).json();
  t.match(await settled(h, finance, named.id), { status: 'done', updatedCount: 0 });
  t.same(await grant(h, 'R-1'), split, 'a group of the split with the same award leaves it alone');

  // A new award without a group in the file cannot say how to split it: the row is a problem.
  const noGroup = ['Sagsnr;Forening;CVR;År;Bevilget', `R-1;Varmestuen Vest;${CVR};2025;26.000`].join('\n');
  const unsplit = (await uploadApi(finance, 'grants', Buffer.from(noGroup))).json();
  t.equal(unsplit.status, 'invalid');
  t.match(unsplit.problems, [{ line: 2, column: 'targetGroup', message: 'import.splitAward' }]);
  t.same(await grant(h, 'R-1'), split);

  const changed = FULL.replace('30.000;25.000;Stofmisbrug', '30.000;26.000;Stofmisbrug');
  const item = (await uploadApi(finance, 'grants', Buffer.from(changed))).json();
  t.match(await settled(h, finance, item.id), { status: 'done', updatedCount: 1 });
  t.match(
    await grant(h, 'R-1'),
    { awarded: 2_600_000, alloc: [{ amount: 2_600_000 }] },
    'a new award is allocated anew',
  );
});

t.test('a decision is not taken back', async (t) => {
  const { h, finance } = await firstImport(t);
  // R-2 was rejected (0 kr.); a file now awarding it money does not approve it behind the user's back.
  const approve = FULL.replace('10.000;0;Stofmisbrug', '10.000;5.000;Stofmisbrug');
  const item = (await uploadApi(finance, 'grants', Buffer.from(approve))).json();
  t.match(item.summary, { updated: 0, skipped: 1, skippedLocked: 1 });
  t.same(
    item.summary.sample.map((s: { action: string }) => s.action),
    ['skip', 'locked'],
  );
  t.match(await settled(h, finance, item.id), { status: 'done', updatedCount: 0, skippedCount: 2 });
  t.match(await grant(h, 'R-2'), { status: 'rejected', awarded: 0 });
  const page = await finance.inject({ method: 'GET', url: `/imports/${item.id}` });
  t.match(
    page.body,
    /Ikke rettet<\/dt><dd>1 bevilling er udbetalt, afsluttet, trukket tilbage eller afgjort anderledes/,
  );
  t.match(page.body, /Uændret<\/dt><dd>1<\/dd>/, 'the unchanged rows are counted apart from those left alone');
});

t.test('someone changing a grant while the import runs stops it; nothing is saved, and it runs again', async (t) => {
  const { h, finance } = await firstImport(t);
  const changed = FULL.replace('30.000;25.000', '30.000;27.000');
  const imports = h.app.services.imports;
  imports.hooks.afterPlan = async (tx) => {
    await tx.execute(sql`update grants set purpose = 'Ændret af en anden', version = version + 1
                         where external_ref = 'R-1'`);
  };
  const item = (
    await uploadApi(finance, 'grants', Buffer.from(`${changed}\nR-3;Ny forening;;Tur;;2025;1.000;1.000;Stofmisbrug;`))
  ).json();
  const failed = await settled(h, finance, item.id);
  t.match(failed, { status: 'failed', problems: [{ message: 'import.conflict' }] });
  t.match(await grant(h, 'R-1'), { awarded: 2_500_000, version: 1 }, 'the grant is as before');
  t.equal(await grant(h, 'R-3'), undefined, 'no new grant either');
  const page = await finance.inject({ method: 'GET', url: `/imports/${item.id}` });
  t.match(page.body, /En anden ændrede nogle af de samme bevillinger/);

  imports.hooks.afterPlan = undefined;
  const retry = await finance.postForm(`/imports/${item.id}/retry`, { version: String(failed.version) });
  t.equal(retry.statusCode, 303);
  t.match(await settled(h, finance, item.id), { status: 'done', createdCount: 1, updatedCount: 1 });
  t.match(await grant(h, 'R-1'), { awarded: 2_700_000, version: 2 });
});

t.test('an actor list changes only its own municipality’s actors', async (t) => {
  const here = await h.as('coordinator', 101);
  const there = await h.as('coordinator', 147);
  const theirs = (
    await there.inject({
      method: 'POST',
      url: '/api/v1/actors',
      payload: actorInput({
        name: 'Frederiksbergs Frivilligcenter',
        cvr: CVR,
        email: null,
        contacts: [],
        homeMunicipalityCode: 147,
      }),
    })
  ).json();
  t.equal(theirs.homeMunicipalityCode, 147);

  const csv = [
    'Navn;CVR;E-mail',
    `Frederiksbergs Frivilligcenter;${CVR};overtaget@example.dk`,
    'Nyt Fællesskab;;hej@example.dk',
  ].join('\n');
  const item = (await uploadApi(here, 'actors', Buffer.from(csv))).json();
  t.equal(item.status, 'queued', JSON.stringify(item.problems));
  t.match(item.summary, { created: 1, updated: 0, skipped: 0, skippedLocked: 1 });
  t.match(await settled(h, here, item.id), { status: 'done', createdCount: 1, updatedCount: 0, skippedCount: 1 });
  const after = (await here.inject({ method: 'GET', url: `/api/v1/actors/${theirs.id}` })).json();
  t.match(
    after,
    { email: null, version: theirs.version, homeMunicipalityCode: 147 },
    'the other municipality’s actor is untouched',
  );

  const moving = ['Navn;Kommune', 'Nyt Fællesskab;Frederiksberg'].join('\n');
  const refused = (await uploadApi(here, 'actors', Buffer.from(moving))).json();
  t.equal(refused.status, 'invalid');
  t.match(refused.problems, [{ line: 2, column: 'Kommune', message: 'import.otherMunicipality' }]);
});

t.test('one organisation with and without its CVR in one file is one actor', async (t) => {
  const finance = await h.as('finance', 101);
  // Not the other test's CVR, whose actor is Frederiksberg's.
  const cvr = validCvr(5302);
  const csv = [
    'Forening;CVR;Projekt;År;Bevilget;Målgruppe',
    `Mødestedet;${cvr};Café;2025;1.000;Stofmisbrug`,
    'Mødestedet;;Tur;2025;2.000;Stofmisbrug',
  ].join('\n');
  const item = (await uploadApi(finance, 'grants', Buffer.from(csv))).json();
  t.match(item.summary, { actorsCreated: 1, created: 2 });
  await settled(h, finance, item.id);
  const rows = await h.database.rows<{ n: number }>(
    sql`select count(distinct actor_id)::int as n from grants where title in ('Café', 'Tur')`,
  );
  t.equal(Number(rows[0]?.n), 1);

  const same = [
    'Forening;CVR;Projekt;År;Bevilget;Målgruppe',
    `Mødestedet;${cvr};Café;2025;1.000;Stofmisbrug`,
    'Mødestedet;;Café;2025;1.000;Stofmisbrug',
  ].join('\n');
  const dup = (await uploadApi(finance, 'grants', Buffer.from(same))).json();
  t.equal(dup.status, 'invalid');
  t.match(dup.problems, [{ line: 3, message: 'import.duplicateGrant', params: { first: 2 } }]);
});
