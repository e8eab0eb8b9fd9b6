import ExcelJS from 'exceljs';
import t from 'tap';
import { parseCsv } from '../../../src/lib/csv.ts';
import { actorInput } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';

t.test('the XLSX export holds real dates in a Danish format, and text as written', async (t) => {
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const name = '=HYPERLINK("x") Forening';
  const actor = (await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name }) })).json();
  const round = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: '§ 18-puljen 2026', budgetOre: 10_000_000 },
    })
  ).json();
  const title = '-20 % på varm mad';
  const created = await finance.inject({
    method: 'POST',
    url: '/api/v1/grants',
    payload: { roundId: round.id, actorId: actor.id, title, requestedOre: 123_456 },
  });
  t.equal(created.statusCode, 201, created.body);
  const patched = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grants/${created.json().id}`,
    payload: { version: 1, reportReceivedOn: '2027-02-28' },
  });
  t.equal(patched.statusCode, 200, patched.body);
  const grant = patched.json();
  t.equal(grant.reportDueOn, '2027-06-01');

  const res = await finance.inject({ method: 'GET', url: `/grants/export.xlsx?roundId=${round.id}` });
  t.equal(res.statusCode, 200);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
  const sheet = workbook.worksheets[0] as ExcelJS.Worksheet;
  const headers = (sheet.getRow(1).values as unknown[]).slice(1);
  const cell = (title: string) => sheet.getRow(2).getCell(headers.indexOf(title) + 1);

  for (const [column, day] of [
    ['Afrapportering senest', grant.reportDueOn],
    ['Afrapportering modtaget', grant.reportReceivedOn],
  ] as const) {
    const c = cell(column);
    t.equal(c.type, ExcelJS.ValueType.Date, `${column}: a date, not text`);
    t.ok(c.value instanceof Date && c.value.toISOString() === `${day}T00:00:00.000Z`, `${column}: ${day}`);
    t.equal(c.numFmt, 'dd.mm.yyyy', `${column}: shown as a Danish date`);
  }
  t.equal(cell('Aktør').type, ExcelJS.ValueType.String);
  t.equal(cell('Aktør').value, name, 'a name that looks like a formula is text, written as it is');
  t.equal(cell('Titel').value, title, 'so is a title starting with a minus');
  t.equal(cell('Ansøgt (kr.)').value, 1234.56, 'money is a number');
  t.equal(cell('Kommunekode').value, 101);

  // The CSV has no cell types: there the guard stays.
  const csv = parseCsv(
    (await finance.inject({ method: 'GET', url: `/grants/export.csv?roundId=${round.id}` })).body,
    ';',
  );
  const [csvHeader = [], csvRow = []] = csv;
  t.equal(csvRow[csvHeader.indexOf('Aktør')], `'${name}`, 'the CSV keeps the formula guard');
  t.equal(csvRow[csvHeader.indexOf('Titel')], `'${title}`);
  t.equal(csvRow[csvHeader.indexOf('Afrapportering senest')], '2027-06-01', 'an ISO date, which Danish Excel reads');
});
