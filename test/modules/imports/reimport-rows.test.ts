import { sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import t from 'tap';
import { fold, isFormula, withTable } from '../../../src/lib/upload.ts';
import { actorInput } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';
import { CVR, FULL, firstImport, grant, settled } from './reimport-fixture.ts';
import { holdImports, uploadApi } from './upload.ts';

/**
 * What a second file does to what the first one wrote, row by row: cells as a spreadsheet holds
 * them, target groups, two rows on one grant, a case number on a new actor, grants paid meanwhile,
 * and the progress it shows. (The rest is in reimport.test.ts; the two run side by side.)
 */

t.test('cells as spreadsheets hold them', async (t) => {
  t.notOk(isFormula('+45 12 34 56 78'), 'a phone number is not a formula');
  t.notOk(isFormula('+45 (33) 12-34-56'));
  t.ok(isFormula('+cmd|calc'), 'a DDE payload is');
  t.ok(isFormula('=1+1'));
  t.equal(fold('Союз помощи'), 'союзпомощи', 'names in other scripts keep their letters');
  t.equal(fold('Café Ø-kanten'), 'cafeoekanten');
  t.not(fold('مركز'), '', 'Arabic too');

  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('Ark1');
  sheet.addRow(['Forening', 'Bevilget', 'Dato']);
  sheet.addRow([
    { formula: 'HYPERLINK("http://x.example","Klik")', result: 'Klik' },
    { formula: 'SUM(1000,500)', result: 1500 },
    { formula: 'DATE(2025,3,1)', result: new Date(Date.UTC(2025, 2, 1)) },
  ]);
  const rows: string[][] = [];
  await withTable(Buffer.from(await book.xlsx.writeBuffer()), (table) =>
    table.forEachRow((cells) => {
      rows.push(cells);
      return true;
    }),
  );
  t.same(
    rows,
    [['=HYPERLINK("http://x.example","Klik")', '1500', '2025-03-01']],
    'numbers and dates worked out are used',
  );
});

t.test('a registered grant needs no group in the file; a new one does', async (t) => {
  const { h, finance } = await firstImport(t);
  const file = ['Sagsnr;Forening;CVR;År;Bevilget', `R-1;Varmestuen Vest;${CVR};2025;27.000`].join('\n');
  const item = (await uploadApi(finance, 'grants', Buffer.from(file))).json();
  t.equal(item.status, 'queued', JSON.stringify(item.problems));
  t.match(await settled(h, finance, item.id), { status: 'done', updatedCount: 1 });
  const g = await grant(h, 'R-1');
  t.match(g, { awarded: 2_700_000, alloc: [{ amount: 2_700_000 }] }, 'the award stays on its one group');
  const before = await grant(h, 'R-1');
  const withNew = `${file}\nR-9;Varmestuen Vest;${CVR};2025;1.000`;
  const refused = (await uploadApi(finance, 'grants', Buffer.from(withNew))).json();
  t.equal(refused.status, 'invalid');
  t.match(refused.problems, [{ line: 3, column: 'targetGroup', message: 'import.groupRequired' }]);
  t.same(await grant(h, 'R-1'), before);
});

t.test('two rows of a file on one registered grant or actor are a problem, not a conflict', async (t) => {
  const { h, finance } = await firstImport(t);
  const twice = [
    'Sagsnr;Forening;CVR;År;Pulje;Bevilget;Målgruppe',
    `R-1;Varmestuen Vest;${CVR};2025;;25.000;Stofmisbrug`,
    `R-1;Varmestuen Vest;${CVR};2025;§ 18-puljen 2025;26.000;Stofmisbrug`,
  ].join('\n');
  const item = (await uploadApi(finance, 'grants', Buffer.from(twice))).json();
  t.equal(item.status, 'invalid');
  t.match(item.problems, [{ line: 3, column: 'Sagsnr', message: 'import.sameGrant', params: { first: 2 } }]);

  const coordinator = await h.as('coordinator', 101);
  const known = (
    await coordinator.inject({
      method: 'POST',
      url: '/api/v1/actors',
      payload: actorInput({ name: 'Nørrebro Fællesskab', cvr: null, email: null, contacts: [] }),
    })
  ).json();
  const actors = ['Navn;E-mail', 'Nørrebro Fællesskab;a@example.dk', 'Nørrebro Fællesskabet;b@example.dk'].join('\n');
  const list = (
    await uploadApi(coordinator, 'actors', Buffer.from(actors), {
      actorChoices: JSON.stringify({ 'name:noerrebrofaellesskabet': known.id }),
    })
  ).json();
  t.equal(list.status, 'invalid', JSON.stringify(list.summary?.matches));
  t.match(list.problems, [{ line: 3, message: 'import.duplicateActor', params: { first: 2 } }]);
});

t.test('a case number already registered, on a row with a new actor, moves the grant to it', async (t) => {
  const { h, finance } = await firstImport(t);
  const file = ['Sagsnr;Forening;År;Bevilget;Målgruppe', 'R-1;Helt Andet Fællesskab;2025;25.000;Stofmisbrug'].join(
    '\n',
  );
  const item = (await uploadApi(finance, 'grants', Buffer.from(file))).json();
  t.equal(item.status, 'queued', JSON.stringify(item.problems));
  t.match(item.summary, { actorsCreated: 1, updated: 1, created: 0 });
  t.match(await settled(h, finance, item.id), { status: 'done', updatedCount: 1, createdCount: 0 });
  const [row] = await h.database.rows<{ name: string }>(
    sql`select a.name from grants g join actors a on a.id = g.actor_id where g.external_ref = 'R-1'`,
  );
  t.equal(row?.name, 'Helt Andet Fællesskab');
});

t.test('grants paid, or paid or moved while the import runs, are not written', async (t) => {
  const { h, finance } = await firstImport(t);
  const g = await grant(h, 'R-1');
  await h.database.db.transaction(async (tx) => {
    await tx.execute(sql`update grants set status = 'paid' where id = ${g.id}`);
  });
  const changed = FULL.replace('30.000;25.000', '30.000;20.000');
  const item = (await uploadApi(finance, 'grants', Buffer.from(changed))).json();
  t.match(item.summary, { updated: 0, skipped: 1, skippedLocked: 1 });
  t.match(await settled(h, finance, item.id), { status: 'done', updatedCount: 0 });
  t.match(await grant(h, 'R-1'), { status: 'paid', awarded: 2_500_000 });
  const page = await finance.inject({ method: 'GET', url: `/imports/${item.id}` });
  t.match(
    page.body,
    /1 bevilling er udbetalt, afsluttet, trukket tilbage eller afgjort anderledes, og filen retter den ikke/,
  );
  t.same(
    (await finance.inject({ method: 'GET', url: `/api/v1/imports/${item.id}` })).json().sample,
    [],
    'the rows shown from the file are not kept once it is done',
  );

  // Paid by someone else between the plan and the write, with no new version: still not written.
  await h.database.db.transaction(async (tx) => {
    await tx.execute(sql`update grants set status = 'approved' where id = ${g.id}`);
  });
  const imports = h.app.services.imports;
  imports.hooks.afterPlan = async (tx) => {
    await tx.execute(sql`update grants set status = 'paid' where external_ref = 'R-1'`);
  };
  t.teardown(() => {
    imports.hooks.afterPlan = undefined;
  });
  const late = (await uploadApi(finance, 'grants', Buffer.from(changed))).json();
  t.match(await settled(h, finance, late.id), { status: 'failed', problems: [{ message: 'import.conflict' }] });
  t.match(await grant(h, 'R-1'), { status: 'approved', awarded: 2_500_000 });

  // An actor moved to another municipality meanwhile is not written by this one's list either.
  const coordinator = await h.as('coordinator', 101);
  imports.hooks.afterPlan = async (tx) => {
    await tx.execute(sql`update actors set home_municipality_code = 147 where name = 'Gadeholdet'`);
  };
  const list = (await uploadApi(coordinator, 'actors', Buffer.from('Navn;E-mail\nGadeholdet;bold@example.dk'))).json();
  t.equal(list.status, 'queued', JSON.stringify(list.problems));
  t.match(await settled(h, coordinator, list.id), { status: 'failed', problems: [{ message: 'import.conflict' }] });
});

t.test('the progress answers 204 while nothing has changed, so it is not read out again', async (t) => {
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const release = holdImports(t, h.app.services.imports);
  const item = (await uploadApi(finance, 'grants', Buffer.from(FULL))).json();
  t.equal(item.status, 'queued');
  const poll = (seen: string) =>
    finance.inject({
      method: 'GET',
      url: `/imports/${item.id}/progress?seen=${seen}`,
      headers: { 'hx-request': 'true' },
    });
  t.equal((await poll('0')).statusCode, 204, 'the same count: nothing to swap');
  const changed = await poll('1');
  t.equal(changed.statusCode, 200);
  t.match(changed.body, /name="seen" value="0"/);
  t.match(changed.body, /Indlæsningen er sat i gang/);
  release();
  await h.app.importRunner.idle();
  const done = await poll('0');
  t.equal(done.statusCode, 204);
  t.equal(done.headers['hx-redirect'], `/imports/${item.id}?done=1`, 'once done, the page shows the result');
});
