import { parseString } from '@fast-csv/parse';
import t from 'tap';
import { actorInput, validCvr } from '../../factories.ts';
import { buildTestApp, type Client } from '../../helper.ts';

/** The records of a CSV, read by fast-csv (not the app's reader): semicolons, a BOM dropped as Excel does. */
function readCsv(text: string): Promise<string[][]> {
  return new Promise((resolve, reject) => {
    const rows: string[][] = [];
    parseString<string[], string[]>(text.replace(/^\ufeff/, ''), { delimiter: ';' })
      .on('data', (row: string[]) => rows.push(row))
      .on('error', reject)
      .on('end', () => resolve(rows));
  });
}

/**
 * A cell as Excel and LibreOffice read it with a Danish locale: a comma is the decimal mark and a
 * point groups thousands ("1.122" is 1122); what fits neither is text. Empty stays empty.
 */
function danish(cell: string): number | string | null {
  if (cell === '') return null;
  if (/^-?\d+(,\d+)?$/.test(cell)) return Number(cell.replace(',', '.'));
  if (/^-?\d{1,3}(\.\d{3})+(,\d+)?$/.test(cell)) return Number(cell.replaceAll('.', '').replace(',', '.'));
  return cell;
}

type Row = Record<string, number | string | null>;

async function setup(finance: Client, h: Client) {
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
  }[];
  const group = (name: string) => groups.find((g) => g.nameDa === name)?.id as number;
  // Thirds of the need, and money that is far from even: shares and an index with many decimals.
  const needs = await finance.inject({
    method: 'PUT',
    url: '/api/v1/need-estimates?municipalityCode=101&year=2026',
    payload: [
      { targetGroupId: group('Hjemløshed'), people: 1 },
      { targetGroupId: group('Alkoholmisbrug'), people: 2 },
      { targetGroupId: group('Prostitution'), people: 1234 },
    ],
  });
  if (needs.statusCode !== 200) throw new Error(needs.body);
  const round = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: '§ 18-puljen 2026', budgetOre: 1_000_000_000 },
    })
  ).json();
  const awards: [string, number, 'money' | 'in_kind'][] = [
    ['Hjemløshed', 123_456_789, 'money'],
    ['Alkoholmisbrug', 100_001, 'money'],
    ['Prostitution', 112_233, 'money'],
    ['Social isolation', 55_550, 'in_kind'],
  ];
  const actorNames = ['Herberget Nørrebro', 'Alkoholrådgivningen', 'Reden København', 'Café Ensomhed'];
  for (const [i, [name, ore, kind]] of awards.entries()) {
    const actor = await h.inject({
      method: 'POST',
      url: '/api/v1/actors',
      payload: actorInput({ name: actorNames[i], cvr: validCvr(7000 + 100 * i), targetGroupIds: [group(name)] }),
    });
    if (actor.statusCode !== 201) throw new Error(actor.body);
    const grant = await finance.inject({
      method: 'POST',
      url: '/api/v1/grants',
      payload: {
        roundId: round.id,
        actorId: actor.json().id,
        title: `Tilskud ${i}`,
        requestedOre: ore,
        kind,
        ...(kind === 'in_kind' ? { inKindDescription: 'Lokaler' } : {}),
      },
    });
    if (grant.statusCode !== 201) throw new Error(grant.body);
    const approved = await finance.inject({
      method: 'POST',
      url: `/api/v1/grants/${grant.json().id}/transitions`,
      payload: { to: 'approved', version: 1, awardedOre: ore, targetGroupId: group(name) },
    });
    if (approved.statusCode !== 200) throw new Error(approved.body);
  }
  return round.id as number;
}

t.test('the CSV exports read in Danish Excel give the numbers of the JSON API', async (t) => {
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const roundId = await setup(finance, h);

  const api = (
    await finance.inject({ method: 'GET', url: '/api/v1/reports/proportionality?municipalityCode=101&year=2026' })
  ).json() as { rows: Row[] };
  const csv = await finance.inject({
    method: 'GET',
    url: '/reports/proportionality/export.csv?area=municipality:101&year=2026',
  });
  t.equal(csv.statusCode, 200);
  const [header, ...rows] = await readCsv(csv.body);
  t.equal(rows.length, api.rows.length, 'a line for each row of the report');
  // Each column and the API's field it shows: kroner in the CSV, øre in the API; shares to 4 decimals.
  const columns: [string, string, 'int' | 'kroner' | 'share'][] = [
    ['Niveau', 'level', 'int'],
    ['Behov (personer)', 'needPeople', 'int'],
    ['Andel af behovet', 'needShare', 'share'],
    ['§ 18-midler', 'awardedOre', 'kroner'],
    ['Naturalier', 'inKindOre', 'kroner'],
    ['Andel af midlerne', 'fundingShare', 'share'],
    ['Kr. pr. person', 'orePerPerson', 'kroner'],
    ['Aktører', 'actorCount', 'int'],
    ['Aktive aftaler', 'agreementCount', 'int'],
    ['Fremskudte indsatser', 'outreachCount', 'int'],
    ['Indeks', 'index', 'share'],
  ];
  const wrong: string[] = [];
  let fractions = 0;
  rows.forEach((cells, i) => {
    const expected = api.rows[i] as Row;
    if (cells.length !== header?.length) wrong.push(`line ${i + 2}: ${cells.length} cells`);
    if (cells[0] !== expected.nameDa) wrong.push(`line ${i + 2}: ${cells[0]} is not ${expected.nameDa}`);
    for (const [title, field, kind] of columns) {
      const raw = cells[header?.indexOf(title) ?? -1] ?? '';
      const read = danish(raw);
      const want = expected[field] === null ? null : Number(expected[field]) / (kind === 'kroner' ? 100 : 1);
      if (want === null) {
        if (read !== null) wrong.push(`${expected.nameDa}, ${title}: “${raw}” where the API has null`);
        continue;
      }
      if (typeof read !== 'number') {
        wrong.push(`${expected.nameDa}, ${title}: “${raw}” is read as text, not ${want}`);
        continue;
      }
      if (!Number.isInteger(read)) fractions++;
      const tolerance = kind === 'share' ? 0.00005 + 1e-12 : 0;
      if (Math.abs(read - want) > tolerance)
        wrong.push(`${expected.nameDa}, ${title}: “${raw}” is read as ${read}, not ${want}`);
    }
  });
  t.same(wrong, [], 'every number of the proportionality CSV is the API’s');
  t.ok(fractions >= 8, `decimal numbers were compared (${fractions})`);

  const grants = (await finance.inject({ method: 'GET', url: `/api/v1/grants?roundId=${roundId}&limit=100` })).json()
    .items as Row[];
  const grantsCsv = await finance.inject({ method: 'GET', url: `/grants/export.csv?roundId=${roundId}` });
  const [grantHeader, ...grantRows] = await readCsv(grantsCsv.body);
  t.equal(grantRows.length, grants.length);
  const col = (title: string) => grantHeader?.indexOf(title) ?? -1;
  for (const cells of grantRows) {
    const id = danish(cells[col('Nr.')] ?? '');
    const grant = grants.find((g) => g.id === id);
    t.ok(grant, `grant ${id} is in the API`);
    t.equal(danish(cells[col('Kommunekode')] ?? ''), 101);
    t.equal(danish(cells[col('Ansøgt (kr.)')] ?? ''), Number(grant?.requestedOre) / 100, `grant ${id}: requested`);
    t.equal(danish(cells[col('Bevilget (kr.)')] ?? ''), Number(grant?.awardedOre) / 100, `grant ${id}: awarded`);
    t.equal(danish(cells[col('Udbetalt (kr.)')] ?? ''), Number(grant?.paidOre) / 100, `grant ${id}: paid`);
  }
});
