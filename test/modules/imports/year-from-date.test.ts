import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildTestApp } from '../../helper.ts';
import { settled } from './reimport-fixture.ts';
import { uploadApi } from './upload.ts';

/** A grant list with no year column takes each grant's year from its decision (or award) date. */

const header = 'Forening;Projekt;Bevilget;Målgruppe;Beslutningsdato';

// One app for the file: the first test reads back only the grants it imported, and the second
// counts the grants from before its files.
const h = await buildTestApp(t);

t.test('a list without a year column imports into the years of its decision dates', async (t) => {
  const finance = await h.as('finance', 101);
  const file = [
    header,
    'Varmestuen Vest;Morgenmad;25.000;Stofmisbrug;1.3.2025',
    'Gadeholdet;Fodbold;10.000;Stofmisbrug;15.02.2026',
    'Gadeholdet;Svømning;5.000;Stofmisbrug;2026-04-30',
  ].join('\n');
  const checked = (await uploadApi(finance, 'grants', Buffer.from(file), { commit: 'false' })).json();
  t.same(checked.problems, [], 'no year to type');
  t.equal(checked.status, 'ready');
  t.notOk(checked.mapping.columns.year, 'no year column');
  t.same(
    checked.summary.roundsCreated,
    [
      { year: 2025, name: '§ 18-puljen 2025' },
      { year: 2026, name: '§ 18-puljen 2026' },
    ],
    'a round for each year of the dates',
  );
  t.same(
    checked.summary.sample.map((s: { year: number; title: string }) => [s.title, s.year]),
    [
      ['Morgenmad', 2025],
      ['Fodbold', 2026],
      ['Svømning', 2026],
    ],
    'the preview shows each row’s year',
  );
  const page = await finance.inject({ method: 'GET', url: `/imports/${checked.id}` });
  t.match(page.body, /Morgenmad/);
  t.notMatch(page.body, /skriv året/, 'the page asks for no year');

  const committed = await finance.inject({
    method: 'POST',
    url: `/api/v1/imports/${checked.id}/commit`,
    payload: { version: checked.version },
  });
  t.equal(committed.statusCode, 200, committed.body);
  t.match(await settled(h, finance, checked.id), { status: 'done', createdCount: 3 });
  const rows = await h.database.rows<{ title: string; year: number; decided: string }>(
    sql`select g.title, r.year, g.decision_on::text as decided
        from grants g join grant_rounds r on r.id = g.round_id
        where g.title in ('Morgenmad', 'Fodbold', 'Svømning') order by g.decision_on`,
  );
  t.same(rows, [
    { title: 'Morgenmad', year: 2025, decided: '2025-03-01' },
    { title: 'Fodbold', year: 2026, decided: '2026-02-15' },
    { title: 'Svømning', year: 2026, decided: '2026-04-30' },
  ]);

  // The award date serves as well, and a year typed for the file is the year of every row without one.
  const award = ['Forening;Projekt;Bevilget;Målgruppe;Bevillingsdato', 'Klubben;Tur;1.000;Stofmisbrug;3.3.2027'];
  const byAward = (await uploadApi(finance, 'grants', Buffer.from(award.join('\n')), { commit: 'false' })).json();
  t.equal(byAward.status, 'ready', JSON.stringify(byAward.problems));
  t.same(byAward.summary.roundsCreated, [{ year: 2027, name: '§ 18-puljen 2027' }]);
  const typed = (
    await uploadApi(finance, 'grants', Buffer.from(award.join('\n')), {
      commit: 'false',
      mapping: JSON.stringify({
        columns: { actorName: 'Forening', title: 'Projekt', awarded: 'Bevilget', targetGroup: 'Målgruppe' },
        defaultYear: 2028,
      }),
    })
  ).json();
  t.same(typed.summary.roundsCreated, [{ year: 2028, name: '§ 18-puljen 2028' }], 'the typed year, as before');
});

t.test('a row with neither a year nor a decision date is a problem on its line', async (t) => {
  const finance = await h.as('finance', 101);
  const grants = async () => (await h.database.rows(sql`select 1 from grants`)).length;
  const before = await grants();
  const file = [
    header,
    'Varmestuen Vest;Morgenmad;25.000;Stofmisbrug;1.3.2025',
    'Gadeholdet;Fodbold;10.000;Stofmisbrug;',
  ].join('\n');
  const item = (await uploadApi(finance, 'grants', Buffer.from(file))).json();
  t.equal(item.status, 'invalid');
  t.match(item.problems, [{ line: 3, column: 'Beslutningsdato', message: 'import.yearUnknown' }]);
  t.equal(item.problems.length, 1, 'the other row is fine');
  t.match(item.problems[0].text, /Rækken har hverken år eller beslutningsdato/);
  const page = await finance.inject({ method: 'GET', url: `/imports/${item.id}` });
  t.match(page.body, /Rækken har hverken år eller beslutningsdato/, 'the page lists it');
  t.equal(await grants(), before, 'nothing imported');

  // With neither a year column nor a date column, the file asks for the year as before.
  const undated = ['Forening;Projekt;Bevilget;Målgruppe', 'Varmestuen Vest;Morgenmad;25.000;Stofmisbrug'];
  const asked = (await uploadApi(finance, 'grants', Buffer.from(undated.join('\n')))).json();
  t.match(asked.problems, [{ line: 1, message: 'import.missing.year' }]);
  t.equal(asked.problems.length, 1);

  // A round column without a year in its names asks once too, not on every line.
  const unnamed = ['Forening;Pulje;Bevilget;Målgruppe', 'Varmestuen Vest;Sommerpuljen;25.000;Stofmisbrug'];
  const once = (await uploadApi(finance, 'grants', Buffer.from(unnamed.join('\n')))).json();
  t.same(
    once.problems.map((p: { line: number; message: string }) => [p.line, p.message]),
    [[1, 'import.missing.year']],
  );
});
