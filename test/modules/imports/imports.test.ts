import { sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import t from 'tap';
import { actorInput, invalidCvr, validCvr } from '../../factories.ts';
import { buildTestApp, type Client, type TestApp } from '../../helper.ts';
import { uploadApi, uploadPage, windows1252 } from './upload.ts';

const CVR_A = validCvr(4101);
const CVR_B = validCvr(4202);
const CVR_C = validCvr(4303);
const CVR_D = validCvr(4404);

/** A grant list as a municipality keeps it: semicolons, Danish amounts and dates, æøå. */
const grantList = (rows: string[]) =>
  ['Sagsnr;Forening;CVR-nr;Projekt;År;Ansøgt beløb;Bevilget beløb;Målgruppe;Bevillingsdato', ...rows].join('\r\n');

const ROWS = [
  `S-1;Café Ø-kanten;${CVR_A};Morgenmad og samvær;2025;25.000;20.000,50;Stofmisbrug;15.3.2025`,
  `S-2;Café Ø-kanten;${CVR_A};Sommertur;2025;10.000;0;Stofmisbrug;15.3.2025`,
  'S-3;Natteravnene Nørrebro;;Nattevandring;2025;8.000;8.000;Stofmisbrug;01-04-2025',
  `S-4;Gadespejlet;${CVR_B};Gadeavis;2025;5.500;;;`,
];

async function count(h: TestApp, table: string): Promise<number> {
  const [row] = await h.database.rows<{ n: number }>(sql`select count(*)::int as n from ${sql.identifier(table)}`);
  return Number(row?.n);
}

/** The grants written by imports, as the audit trail has them. */
async function importAudits(h: TestApp): Promise<number> {
  const [row] = await h.database.rows<{ n: number }>(
    sql`select count(*)::int as n from audit_log where entity = 'grant' and action = 'import'`,
  );
  return Number(row?.n);
}

/**
 * One app for the file. Actors are matched across municipalities, by CVR and by similar names, and a
 * file's round is made for its year: so each test has actors, CVR numbers and grant years of its own
 * (the wizard 2025, the matching 2026, the XLSX 2024, the roles 2027), and counts from before it acts.
 */
const h = await buildTestApp(t);

/** Waits for the background runner, then reads the import through the API. */
async function settled(h: TestApp, c: Client, id: number) {
  await h.app.importRunner.idle();
  return (await c.inject({ method: 'GET', url: `/api/v1/imports/${id}` })).json();
}

t.test('the wizard: upload, columns guessed, preview, commit, result; a second run changes nothing', async (t) => {
  const finance = await h.as('finance', 101);
  const before = { grants: await count(h, 'grants'), actors: await count(h, 'actors') };

  const up = await uploadPage(finance, 'grants', windows1252(grantList(ROWS)), 'bevillinger 2025.csv');
  t.equal(up.statusCode, 303, up.body.slice(0, 300));
  const id = Number(/\/imports\/(\d+)$/.exec(up.headers.location as string)?.[1]);
  const mapping = await finance.inject({ method: 'GET', url: `/imports/${id}` });
  t.equal(mapping.statusCode, 200);
  t.match(mapping.body, /Indlæsning af bevillinger 2025\.csv/, 'the file name is kept');
  t.match(mapping.body, /<option value="Forening" selected>/, 'the actor column is guessed from a Danish header');
  t.match(mapping.body, /<option value="Bevilget beløb" selected>/, 'Windows-1252 æøå read');
  t.match(mapping.body, /Café Ø-kanten/, 'a sample of the rows is shown');

  const api = (await finance.inject({ method: 'GET', url: `/api/v1/imports/${id}` })).json();
  t.same(api.mapping.columns, {
    externalRef: 'Sagsnr',
    actorName: 'Forening',
    cvr: 'CVR-nr',
    title: 'Projekt',
    year: 'År',
    requested: 'Ansøgt beløb',
    awarded: 'Bevilget beløb',
    targetGroup: 'Målgruppe',
    decisionOn: 'Bevillingsdato',
  });

  const groups = (await finance.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
  }[];
  const socialt = groups.find((g) => g.nameDa === 'Hjemløshed')?.id as number;
  const checked = await finance.postForm(`/imports/${id}/columns`, {
    version: String(api.version),
    ...Object.fromEntries(Object.entries(api.mapping.columns).map(([k, v]) => [`columns[${k}]`, String(v)])),
    defaultTargetGroupId: String(socialt),
  });
  t.equal(checked.statusCode, 303, checked.body.slice(0, 500));
  const preview = await finance.inject({ method: 'GET', url: `/imports/${id}` });
  t.match(preview.body, /4 oprettes/);
  t.match(preview.body, /Nye aktører: 3\./);
  t.match(preview.body, /Puljen »§ 18-puljen 2025« oprettes/);
  t.match(
    preview.body,
    /<td>Morgenmad og samvær<\/td><td>2025<\/td><td class="text-align-right">20\.000,50 kr\.<\/td>\s*<td>Oprettes<\/td>/,
    'the first rows, with what each will do',
  );
  t.equal(await count(h, 'grants'), before.grants, 'the preview writes nothing');

  const ready = (await finance.inject({ method: 'GET', url: `/api/v1/imports/${id}` })).json();
  const audited = await importAudits(h);
  const committed = await finance.postForm(`/imports/${id}/commit`, { version: String(ready.version) });
  t.equal(committed.statusCode, 303, committed.body.slice(0, 300));
  const done = await settled(h, finance, id);
  t.equal(done.status, 'done', JSON.stringify(done.problems));
  t.match(done, { createdCount: 4, updatedCount: 0, skippedCount: 0, processedRows: 4 });
  const result = await finance.inject({ method: 'GET', url: `/imports/${id}` });
  t.match(result.body, /Filen er indlæst/);

  const grants = await h.database.rows<Record<string, unknown>>(
    sql`select g.external_ref, g.title, g.requested_ore::int as requested, g.awarded_ore::int as awarded, g.status,
               g.decision_on::text as decided, a.name, a.cvr,
               (select json_agg(json_build_object('group', target_group_id, 'amount', amount_ore)) from grant_allocations where grant_id = g.id) as alloc
        from grants g join actors a on a.id = g.actor_id where g.external_ref in ('S-1', 'S-2', 'S-3', 'S-4')
        order by g.external_ref`,
  );
  t.match(grants[0], {
    external_ref: 'S-1',
    title: 'Morgenmad og samvær',
    requested: 2_500_000,
    awarded: 2_000_050,
    status: 'approved',
    decided: '2025-03-15',
    name: 'Café Ø-kanten',
    cvr: CVR_A,
  });
  t.match(grants[1], { external_ref: 'S-2', awarded: 0, status: 'rejected', alloc: null });
  t.match(grants[2], { external_ref: 'S-3', decided: '2025-04-01', cvr: null });
  t.match(grants[3], { external_ref: 'S-4', awarded: null, status: 'applied', requested: 550_000 });
  t.equal(await count(h, 'actors'), before.actors + 3, 'the two rows of one CVR are one actor');
  t.equal(await importAudits(h), audited + 4, 'each grant written is audited');
  const [record] = await h.database.rows<{ after: Record<string, unknown> }>(
    sql`select after from audit_log where entity = 'grant' and action = 'import' order by id desc limit 1`,
  );
  t.match(record?.after, { title: String, requested_ore: Number }, 'the grant as written');
  t.notOk(
    record && ('text_norm' in record.after || 'paid_ore' in record.after),
    'without its folded text and the sum paid kept from its payments, as the grant form records it',
  );

  // The same file again: everything is found by its reference and nothing changes.
  const rerun = (await uploadApi(finance, 'grants', windows1252(grantList(ROWS)))).json();
  t.equal(rerun.status, 'queued', JSON.stringify(rerun.problems));
  t.same(
    rerun.summary.sample.map((r: { action: string }) => r.action),
    ['skip', 'skip', 'skip', 'skip'],
    'the preview says each row is unchanged',
  );
  const rerunDone = await settled(h, finance, rerun.id);
  t.match(rerunDone, { status: 'done', createdCount: 0, updatedCount: 0, skippedCount: 4 });
  t.equal(await count(h, 'grants'), before.grants + 4, 'no duplicates');
  t.equal(await count(h, 'actors'), before.actors + 3);

  // A corrected amount updates the grant in place.
  const changed = [...ROWS];
  changed[2] = 'S-3;Natteravnene Nørrebro;;Nattevandring;2025;8.000;7.500;Stofmisbrug;01-04-2025';
  const update = (
    await uploadApi(finance, 'grants', Buffer.from(grantList(changed)), {
      mapping: JSON.stringify({ columns: api.mapping.columns, defaultTargetGroupId: socialt }),
    })
  ).json();
  const updated = await settled(h, finance, update.id);
  t.match(updated, { status: 'done', createdCount: 0, updatedCount: 1, skippedCount: 3 });
  const [s3] = await h.database.rows<{ awarded: number; version: number; alloc: number }>(
    sql`select awarded_ore::int as awarded, version,
               (select amount_ore::int from grant_allocations where grant_id = g.id) as alloc
        from grants g where external_ref = 'S-3'`,
  );
  t.match(s3, { awarded: 750_000, version: 2, alloc: 750_000 }, 'amount, allocation and version follow');
});

t.test('actors are matched by CVR, then by the same name; similar names wait for the user', async (t) => {
  const finance = await h.as('finance', 101);
  const coordinator = await h.as('coordinator', 101);
  const make = async (body: Record<string, unknown>) =>
    (
      await coordinator.inject({ method: 'POST', url: '/api/v1/actors?allowSimilar=true', payload: actorInput(body) })
    ).json() as { id: number };
  const byCvr = await make({ name: 'Foreningen Havørnene Amager', cvr: CVR_C });
  const same = await make({ name: 'Væresteds Venner Valby' });
  const similar = await make({ name: 'Strikkestuen Kbh' });
  const file = Buffer.from(
    [
      'Forening;CVR;Titel;År;Bevilget;Målgruppe',
      `Havørnene Amager;${CVR_C};Fuglekasser;2026;1.000;Stofmisbrug`,
      'væresteds venner valby;;Aftenkaffe;2026;2.000;Stofmisbrug',
      'Strikkestuen;;Garnindkøb;2026;3.000;Stofmisbrug',
      'Helt Ny Forening;;Strikkeklub;2026;4.000;Stofmisbrug',
    ].join('\n'),
  );
  const res = await uploadApi(finance, 'grants', file);
  t.equal(res.statusCode, 201);
  const item = res.json();
  t.equal(item.status, 'ready', JSON.stringify(item.problems));
  t.match(item.summary, { actorsMatched: 2, actorsCreated: 1, created: 4 });
  t.equal(item.summary.matches.length, 1, 'only the similar name is put to the user');
  const match = item.summary.matches[0];
  t.match(match, { name: 'Strikkestuen', choice: null });
  t.ok(match.candidates.some((c: { id: number }) => c.id === similar.id));

  // The page asks; committing without an answer is refused, with the question marked.
  const unanswered = await finance.postForm(`/imports/${item.id}/commit`, { version: String(item.version) });
  t.equal(unanswered.statusCode, 422);
  t.match(unanswered.body, /Vælg en aktør, eller opret en ny/);
  t.match(unanswered.body, /name="choice\[name:strikkestuen\]"/);
  const refused = await finance.inject({
    method: 'POST',
    url: `/api/v1/imports/${item.id}/commit`,
    payload: { version: item.version },
  });
  t.equal(refused.statusCode, 409);
  t.equal(refused.json().code, 'IMPORT_UNCONFIRMED');

  const ok = await finance.postForm(`/imports/${item.id}/commit`, {
    version: String(item.version),
    [`choice[${match.key}]`]: String(similar.id),
  });
  t.equal(ok.statusCode, 303, ok.body.slice(0, 400));
  const done = await settled(h, finance, item.id);
  t.equal(done.status, 'done');
  const owners = await h.database.rows<{ title: string; actor_id: number }>(
    sql`select title, actor_id from grants where title in ('Fuglekasser', 'Aftenkaffe', 'Garnindkøb') order by title`,
  );
  t.same(
    owners.map((o) => [o.title, o.actor_id]),
    [
      ['Aftenkaffe', same.id],
      ['Fuglekasser', byCvr.id],
      ['Garnindkøb', similar.id],
    ],
  );
});

t.test('each malformed file imports nothing and says why', async (t) => {
  const finance = await h.as('finance', 101);
  const grantsBefore = await count(h, 'grants');
  const importsBefore = await count(h, 'imports');
  const header = 'Forening;CVR;Titel;År;Bevilget;Målgruppe';

  const unreadable: [string, Buffer, RegExp][] = [
    ['UTF-16 (Excel’s “Unicode text”)', Buffer.from(`\ufeff${header}\r\nA;;B;2025;1;Stofmisbrug`, 'utf16le'), /UTF-16/],
    [
      'UTF-8 saved again as Windows-1252',
      Buffer.from(`${header}\nCafÃ© Ã¸en;;Tur;2025;1.000;Stofmisbrug`, 'utf8'),
      /Æ, ø og å er gået i stykker/,
    ],
    [
      'over 1 MiB of garbage',
      Buffer.from(Array.from({ length: 1_200_000 }, (_, i) => (i * 7919 + 13) % 256)),
      /hverken en CSV-fil eller en Excel-fil/,
    ],
    ['an empty file', Buffer.alloc(0), /Vælg en fil/],
    [
      'an old Excel .xls',
      Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(600, 0)]),
      /Excel-filen kan ikke åbnes/,
    ],
  ];
  for (const [what, file, message] of unreadable) {
    const page = await uploadPage(finance, 'grants', file);
    t.equal(page.statusCode, 422, what);
    t.match(page.body, message, `${what}: the page says why`);
    const api = await uploadApi(finance, 'grants', file);
    t.equal(api.statusCode, 400, `${what}: the API answers 400`);
  }
  t.equal(await count(h, 'imports'), importsBefore, 'an unreadable file is not kept');

  const rowCases: [string, string, RegExp][] = [
    ['missing columns', 'Kolonne 1;Kolonne 2\nA;B', /Kobl kolonnen med aktørens navn/],
    [
      'an invalid CVR',
      `${header}\nForening A;${invalidCvr(5)};Tur;2025;1.000;Stofmisbrug`,
      /kontrolcifferet passer ikke/,
    ],
    ['an amount like 12,3,4', `${header}\nForening A;;Tur;2025;"12,3,4";Stofmisbrug`, /Det er ikke et beløb/],
    [
      'formula injection in a name',
      `${header}\n"=HYPERLINK(""http://ondt.example"",""Klik"")";;Tur;2025;1.000;Stofmisbrug`,
      /ville blive læst som en formel/,
    ],
  ];
  for (const [what, csv, message] of rowCases) {
    const res = await uploadApi(finance, 'grants', Buffer.from(`${csv}\n`));
    t.equal(res.statusCode, 201, what);
    const item = res.json();
    t.equal(item.status, 'invalid', `${what}: invalid`);
    t.ok(
      item.problems.some((p: { text: string }) => message.test(p.text)),
      `${what}: ${JSON.stringify(item.problems.map((p: { text: string }) => p.text))}`,
    );
    const page = await finance.inject({ method: 'GET', url: `/imports/${item.id}` });
    t.match(page.body, message, `${what}: the page lists it`);
    t.match(page.body, /intet er indlæst/);
    const refused = await finance.inject({
      method: 'POST',
      url: `/api/v1/imports/${item.id}/commit`,
      payload: { version: item.version },
    });
    t.equal(refused.statusCode, 409, `${what}: cannot be committed`);
  }
  t.equal(await count(h, 'grants'), grantsBefore, 'nothing was imported');

  // One bad row among good ones: none of them is imported, and the errors download as CSV.
  const mixed = [
    header,
    'God Forening;;Tur;2025;1.000;Stofmisbrug',
    '"=HYPERLINK(""http://ondt.example"")";;Tur;2025;1.000;Stofmisbrug',
    'Anden Forening;;Tur;2025;"12,3,4";Stofmisbrug',
  ].join('\n');
  const item = (await uploadApi(finance, 'grants', Buffer.from(mixed))).json();
  t.equal(item.status, 'invalid');
  t.same(
    item.problems.map((p: { line: number }) => p.line),
    [3, 4],
    'the lines of the file are given',
  );
  const csv = await finance.inject({ method: 'GET', url: `/imports/${item.id}/problems.csv` });
  t.equal(csv.statusCode, 200);
  t.match(csv.headers['content-type'], /text\/csv/);
  t.match(csv.body, /^\ufeffLinje;Kolonne;Værdi;Fejl\r\n/);
  t.match(csv.body, /3;Forening;"'=HYPERLINK\(""http:\/\/ondt\.example""\)";/, 'the formula is neutralised');
  t.notMatch(csv.body, /;=HYPERLINK/);
  t.equal(await count(h, 'grants'), grantsBefore);

  // A file broken on every line: the first thousand problems are kept, and the page says there are more.
  const broken = [
    header,
    ...Array.from({ length: 1500 }, (_, i) => `F${i};${invalidCvr(i)};Tur;2025;1.000;Stofmisbrug`),
  ];
  const many = (await uploadApi(finance, 'grants', Buffer.from(broken.join('\n')))).json();
  t.match(many, { status: 'invalid', problemCount: 1000 });
  t.equal(many.problems.length, 200, 'the API lists the first 200');
  const manyPage = await finance.inject({ method: 'GET', url: `/imports/${many.id}` });
  t.match(manyPage.body, /Filen har mindst 1\.000 fejl/);
  const manyCsv = await finance.inject({ method: 'GET', url: `/imports/${many.id}/problems.csv` });
  t.equal(manyCsv.body.trim().split('\r\n').length, 1001, 'the CSV holds all thousand');
});

t.test('XLSX files are read like CSV: dates, numbers and formulas', async (t) => {
  const finance = await h.as('finance', 101);
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('Bevillinger');
  sheet.addRow(['Forening', 'Projekt', 'År', 'Bevilget', 'Målgruppe', 'Dato']);
  sheet.addRow(['Frivilligcenter Syd', 'Lektiecafé', 2024, 12345.5, 'Stofmisbrug', new Date(Date.UTC(2024, 4, 2))]);
  sheet.addRow(['Klubben', 'Fodbold', 2024, 1000, 'Stofmisbrug', '2.5.2024']);
  const file = Buffer.from(await book.xlsx.writeBuffer());
  const item = (await uploadApi(finance, 'grants', file, {}, 'bevillinger.xlsx')).json();
  t.equal(item.status, 'queued', JSON.stringify(item.problems));
  t.equal(item.fileName, 'bevillinger.xlsx');
  const done = await settled(h, finance, item.id);
  t.match(done, { status: 'done', createdCount: 2 });
  const [g] = await h.database.rows<{ awarded: number; decided: string }>(
    sql`select awarded_ore::int as awarded, decision_on::text as decided from grants where title = 'Lektiecafé'`,
  );
  t.match(g, { awarded: 1_234_550, decided: '2024-05-02' });

  const bad = new ExcelJS.Workbook();
  const s2 = bad.addWorksheet('Ark1');
  s2.addRow(['Forening', 'Projekt', 'År', 'Bevilget', 'Målgruppe']);
  s2.addRow([{ formula: 'HYPERLINK("http://ondt.example","Klik")', result: 'Klik' }, 'Tur', 2024, 100, 'Stofmisbrug']);
  const refused = (
    await uploadApi(finance, 'grants', Buffer.from(await bad.xlsx.writeBuffer()), {}, 'ondt.xlsx')
  ).json();
  t.equal(refused.status, 'invalid');
  t.match(refused.problems[0], { line: 2, column: 'Forening', message: 'import.formula' });
});

t.test('actor lists: new actors registered, known ones filled in, a second run skips them', async (t) => {
  const coordinator = await h.as('coordinator', 101);
  const known = (
    await coordinator.inject({
      method: 'POST',
      url: '/api/v1/actors',
      payload: actorInput({ name: 'Kirkens Korshær Varmestue', cvr: CVR_D, email: null, contacts: [] }),
    })
  ).json();
  const csv = [
    'Navn,CVR,Organisationsform,Rolle,E-mail,Kommune',
    `Kirkens Korshær Varmestue,${CVR_D},,,varmestuen@example.dk,`,
    'Lokalforeningen Lyngby,,Forening,"Fortaler, inklusionsarena",info@lyngby.example.dk,København',
  ].join('\n');
  const item = (await uploadApi(coordinator, 'actors', Buffer.from(csv))).json();
  t.equal(item.status, 'queued', JSON.stringify(item.problems));
  const done = await settled(h, coordinator, item.id);
  t.match(done, { status: 'done', createdCount: 1, updatedCount: 1, skippedCount: 0 });
  const after = (await coordinator.inject({ method: 'GET', url: `/api/v1/actors/${known.id}` })).json();
  t.match(after, { email: 'varmestuen@example.dk', version: 2, name: 'Kirkens Korshær Varmestue' });
  const [created] = await h.database.rows<{ roles: string; home: number; org: string }>(
    sql`select roles::text as roles, home_municipality_code as home, org_type as org from actors where name = 'Lokalforeningen Lyngby'`,
  );
  t.match(created, { roles: '{advocate,inclusion_arena}', home: 101, org: 'association' });
  const again = (await uploadApi(coordinator, 'actors', Buffer.from(csv))).json();
  t.match(await settled(h, coordinator, again.id), {
    status: 'done',
    createdCount: 0,
    updatedCount: 0,
    skippedCount: 2,
  });

  const wrong = (
    await uploadApi(coordinator, 'actors', Buffer.from('Navn;Rolle;E-mail\nX;Bager;ikke-en-mail\n'))
  ).json();
  t.equal(wrong.status, 'invalid');
  t.same(
    wrong.problems.map((p: { message: string }) => p.message),
    ['import.role', 'import.email'],
  );
});

t.test('who may import: roles by kind, own municipality only', async (t) => {
  const finance = await h.as('finance', 101);
  const coordinator = await h.as('coordinator', 101);
  const viewer = await h.as('viewer', 101);
  const foreign = await h.as('finance', 147);
  const file = Buffer.from('Forening;Titel;År;Bevilget;Målgruppe\nA;B;2027;1.000;Stofmisbrug\n');
  t.equal((await uploadApi(viewer, 'grants', file)).statusCode, 403, 'a viewer may not');
  t.equal((await uploadApi(coordinator, 'grants', file)).statusCode, 403, 'grants are for finance');
  t.equal((await uploadApi(finance, 'actors', file)).statusCode, 403, 'actors are for coordinators');
  const page = await viewer.inject({ method: 'GET', url: '/imports' });
  t.match(page.body, /Din rolle kan ikke indlæse lister/);
  const item = (await uploadApi(finance, 'grants', file, { commit: 'false' })).json();
  t.equal(item.status, 'ready', 'commit=false checks without importing');
  for (const [who, c] of [
    ['another municipality', foreign],
    ['a viewer', viewer],
  ] as const) {
    t.equal((await c.inject({ method: 'GET', url: `/api/v1/imports/${item.id}` })).statusCode, 403, who);
    t.equal((await c.inject({ method: 'GET', url: `/imports/${item.id}` })).statusCode, 403, who);
    t.equal(
      (await c.inject({ method: 'POST', url: `/api/v1/imports/${item.id}/commit`, payload: { version: item.version } }))
        .statusCode,
      403,
      who,
    );
    t.equal((await c.postForm(`/imports/${item.id}/commit`, { version: String(item.version) })).statusCode, 403, who);
    t.equal((await c.postForm(`/imports/${item.id}/columns`, { version: String(item.version) })).statusCode, 403, who);
    t.equal((await c.postForm(`/imports/${item.id}/retry`, { version: String(item.version) })).statusCode, 403, who);
  }
  const stale = await finance.inject({
    method: 'POST',
    url: `/api/v1/imports/${item.id}/commit`,
    payload: { version: item.version + 5 },
  });
  t.equal(stale.statusCode, 409, 'a stale version is refused');
  const ok = await finance.inject({
    method: 'POST',
    url: `/api/v1/imports/${item.id}/commit`,
    payload: { version: item.version },
  });
  t.equal(ok.statusCode, 200);
  t.match(await settled(h, finance, item.id), { status: 'done', createdCount: 1 });
  const listed = await finance.inject({ method: 'GET', url: '/imports' });
  t.match(listed.body, /liste\.csv/);
});

t.test('a new round whose awards add up to more than a budget may hold is refused at the check', async (t) => {
  const finance = await h.as('finance', 101);
  const rounds = await count(h, 'grant_rounds');
  const grants = await count(h, 'grants');
  // Each grant is within the largest amount; together they pass the largest budget of a round.
  const file = grantList([
    'S-9001;Café Ø-kanten;;Stort byggeri;2031;600.000.000;600.000.000;Stofmisbrug;1.2.2031',
    'S-9002;Gadespejlet;;Endnu et byggeri;2031;600.000.000;600.000.000;Stofmisbrug;1.2.2031',
  ]);
  const item = (await uploadApi(finance, 'grants', Buffer.from(file), {})).json();
  t.equal(item.status, 'invalid', 'refused before anything is queued');
  t.match(item.problems, [{ line: 2, column: 'Bevilget beløb', message: 'import.roundBudgetTooLarge' }]);
  t.equal(await count(h, 'grant_rounds'), rounds, 'no round created');
  t.equal(await count(h, 'grants'), grants, 'no grant written');
  const page = await finance.inject({ method: 'GET', url: `/imports/${item.id}` });
  t.match(
    page.body,
    /Bevillingerne i 2031 er tilsammen over 1\.000\.000\.000 kr\./,
    'the page names the year and limit',
  );
});

t.test('an actor list is checked and written without asking the pool for a second connection', async (t) => {
  // A transaction holds one of the pool's few connections: reading the municipalities inside it (their
  // cache may have been emptied by any write meanwhile) would wait for another, and with every
  // connection so held, for ever.
  // Every way into the municipalities' cache is watched, and every transaction.
  const municipalities = h.app.services.municipalities as unknown as Record<string, (...a: unknown[]) => unknown>;
  const db = h.database.db as unknown as { transaction: (...a: unknown[]) => Promise<unknown> };
  const methods = Object.keys(municipalities).filter((k) => typeof municipalities[k] === 'function');
  const originals = Object.fromEntries(methods.map((k) => [k, municipalities[k] as (...a: unknown[]) => unknown]));
  const transaction = db.transaction;
  let open = 0;
  const readInside: string[] = [];
  for (const k of methods)
    municipalities[k] = (...a: unknown[]) => {
      if (open) readInside.push(k);
      return originals[k]?.apply(municipalities, a);
    };
  db.transaction = async (...a: unknown[]) => {
    open++;
    try {
      return await transaction.apply(db, a);
    } finally {
      open--;
    }
  };
  t.teardown(() => {
    Object.assign(municipalities, originals);
    db.transaction = transaction;
  });
  const coordinator = await h.as('coordinator', 101);
  const csv = 'Navn;Rolle;Kommune\nNabohjælpen Valby;Fortaler;København\nGadeteamet;Inklusionsarena;101\n';
  const item = (await uploadApi(coordinator, 'actors', Buffer.from(csv))).json();
  t.equal(item.status, 'queued', JSON.stringify(item.problems));
  t.match(await settled(h, coordinator, item.id), { status: 'done', createdCount: 2 });
  t.ok(methods.includes('all') && methods.includes('byCode'), 'the service’s reads are watched');
  t.same(readInside, [], 'the municipalities were read before the transactions, not inside them');
});
