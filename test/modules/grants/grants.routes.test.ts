import ExcelJS from 'exceljs';
import t from 'tap';
import { parseCsv } from '../../../src/lib/csv.ts';
import { actorInput } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';

/** One app for the file: each test makes its own actor and round (a round's name is unique in its year). */
const h = await buildTestApp(t);

t.test('finance records, awards, pays and accounts a grant through the pages', async (t) => {
  const finance = await h.as('finance', 101);
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
  }[];
  const gid = (n: string) => String(groups.find((g) => g.nameDa === n)?.id);
  const actor = (
    await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name: '=HYPERLINK("x") Forening' }) })
  ).json();

  const badRound = await finance.postForm('/grant-rounds', {
    name: '§ 18-puljen 2026',
    year: '2026',
    budget: '1.000,005',
  });
  t.equal(badRound.statusCode, 422);
  t.match(badRound.body, /Skriv højst to decimaler/);
  const round = await finance.postForm('/grant-rounds', { name: '§ 18-puljen 2026', year: '2026', budget: '100.000' });
  t.equal(round.statusCode, 303);
  const roundUrl = String(round.headers.location);
  const roundId = roundUrl.split('/').pop() ?? '';
  const roundPage = await finance.inject({ method: 'GET', url: roundUrl });
  t.match(roundPage.body, /100\.000,00 kr\./, 'the budget, the Danish way');
  t.match(roundPage.body, /href="\/grants\/new\?roundId=/, 'an undecided round takes applications');

  const options = await finance.inject({
    method: 'GET',
    url: '/grants/actor-options?actorQ=hyperlink',
    headers: { 'hx-request': 'true' },
  });
  t.match(options.body, new RegExp(`<option value="${actor.id}">=HYPERLINK`), 'the application form searches actors');
  const prefilled = await finance.inject({ method: 'GET', url: `/grants/new?actorId=${actor.id}` });
  t.match(
    prefilled.body,
    new RegExp(`<option value="${actor.id}" selected>`),
    'coming from the actor page, the actor is chosen',
  );
  const applied = await finance.postForm('/grants', {
    roundId,
    actorId: String(actor.id),
    title: 'Varmestue om aftenen',
    kind: 'money',
    requested: '60.000',
  });
  t.equal(applied.statusCode, 303);
  const grantUrl = String(applied.headers.location);
  let page = await finance.inject({ method: 'GET', url: grantUrl });
  t.match(page.body, /Ansøgt<\/span>/);

  const split = await finance.postForm(`${grantUrl}/award`, {
    version: '1',
    awarded: '50.000',
    'lines[0][targetGroupId]': gid('Hjemløshed'),
    'lines[0][amount]': '30.000',
    'lines[1][targetGroupId]': gid('Stofmisbrug'),
    'lines[1][amount]': '10.000',
  });
  t.equal(split.statusCode, 422, 'the split must add up');
  t.match(split.body, /Fordelingen giver 40\.000,00 kr\., bevillingen er 50\.000,00 kr\./);
  const awarded = await finance.postForm(`${grantUrl}/award`, {
    version: '1',
    awarded: '50.000',
    'lines[0][targetGroupId]': gid('Hjemløshed'),
    'lines[0][amount]': '30.000',
    'lines[1][targetGroupId]': gid('Stofmisbrug'),
    'lines[1][amount]': '20.000',
  });
  t.equal(awarded.statusCode, 303);
  page = await finance.inject({ method: 'GET', url: grantUrl });
  t.match(page.body, /Bevilget<\/span>/);
  t.match(page.body, /30\.000,00 kr\./);

  t.equal(
    (
      await finance.postForm(`${grantUrl}/payments`, {
        version: '2',
        kind: 'payment',
        paidOn: '2026-04-01',
        amount: '50.000',
      })
    ).statusCode,
    303,
  );
  t.equal(
    (await finance.postForm(`${grantUrl}/transition`, { version: '3', to: 'paid', confirm: 'yes' })).statusCode,
    303,
  );
  t.equal(
    (
      await finance.postForm(`${grantUrl}/report`, {
        version: '4',
        reportReceivedOn: '2027-05-01',
        auditorEndorsed: 'on',
      })
    ).statusCode,
    303,
  );
  t.equal(
    (await finance.postForm(`${grantUrl}/transition`, { version: '5', to: 'accounted', confirm: 'yes' })).statusCode,
    303,
  );
  const wrong = await finance.postForm(`${grantUrl}/transition`, { version: '6', to: 'paid', confirm: 'yes' });
  t.equal(wrong.statusCode, 409);
  t.match(wrong.body, /En afrapporteret bevilling kan kun afsluttes/);

  const list = await finance.inject({ method: 'GET', url: `/grants?roundId=${roundId}` });
  t.match(list.body, /1 bevilling\b/);
  t.match(list.body, /<tfoot>[\s\S]*60\.000,00 kr\.[\s\S]*50\.000,00 kr\./, 'totals under the table');
  const overview = await finance.inject({ method: 'GET', url: roundUrl });
  t.match(overview.body, /Fordelt på målgrupper/);
  t.match(overview.body, /Socialt problem/, 'rolled up to the top of the tree');

  const csv = await finance.inject({ method: 'GET', url: `/grants/export.csv?roundId=${roundId}` });
  t.equal(csv.statusCode, 200);
  t.match(csv.headers['content-type'], /text\/csv; charset=utf-8/);
  t.ok(csv.body.startsWith('\ufeff'), 'UTF-8 with a BOM');
  const rows = parseCsv(csv.body, ';');
  t.equal(rows.length, 2);
  const header = rows[0] ?? [];
  const row = rows[1] ?? [];
  t.equal(row[header.indexOf('Bevilget (kr.)')], '50000,00', 'decimal commas');
  t.equal(row[header.indexOf('Aktør')], `'=HYPERLINK("x") Forening`, 'a formula-like cell is neutralised');
  t.equal(row[header.indexOf('Status')], 'Afrapporteret');

  const xlsx = await finance.inject({ method: 'GET', url: `/grants/export.xlsx?roundId=${roundId}` });
  t.equal(xlsx.statusCode, 200);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
  const sheet = workbook.worksheets[0];
  if (!sheet) throw new Error('the workbook has no sheet');
  const headers = (sheet.getRow(1).values as unknown[]).slice(1);
  const values = (sheet.getRow(2).values as unknown[]).slice(1);
  t.equal(values[headers.indexOf('Bevilget (kr.)')], 50000, 'the XLSX reads back with the right numbers');
  t.equal(values[headers.indexOf('Ansøgt (kr.)')], 60000);
  t.equal(values[headers.indexOf('Aktør')], '=HYPERLINK("x") Forening', 'an XLSX text cell runs no formula: no guard');

  const actorPage = await h.inject({ method: 'GET', url: `/actors/${actor.id}` });
  t.match(
    actorPage.body,
    /§ 18-bevillinger fra alle kommuner[\s\S]*Varmestue om aftenen[\s\S]*50\.000,00 kr\./,
    'the actor page shows its grants',
  );
  const coordinator = await h.as('coordinator', 101);
  const denied = await coordinator.postForm(`${grantUrl}/transition`, { version: '6', to: 'closed', confirm: 'yes' });
  t.equal(denied.statusCode, 403, 'a coordinator reads grants but does not change them');
  t.equal((await coordinator.inject({ method: 'GET', url: grantUrl })).statusCode, 200);
});

t.test('the grant page’s forms refuse and accept what the API does (the forms are the API’s schemas)', async (t) => {
  const finance = await h.as('finance', 101);
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    parentId: number | null;
  }[];
  const actor = (await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput() })).json();
  const round = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: 'Puljen', budgetOre: 10_000_000 },
    })
  ).json();
  const noKind = await finance.postForm('/grants', {
    roundId: String(round.id),
    actorId: String(actor.id),
    title: 'Uden støtteform',
    requested: '1.000',
  });
  t.equal(noKind.statusCode, 303, 'the kind defaults to money, as in the API');
  if (noKind.statusCode === 303) {
    const url = `/api/v1${noKind.headers.location}`;
    t.equal((await finance.inject({ method: 'GET', url })).json().kind, 'money');
  }
  const applied = await finance.postForm('/grants', {
    roundId: String(round.id),
    actorId: String(actor.id),
    title: 'Varmestue',
    kind: 'money',
    requested: '1.000',
  });
  const grantUrl = String(applied.headers.location);
  const grantId = Number(grantUrl.split('/').pop());

  // Eleven lines of 1 kr. each: the API takes up to 100 target groups, and so does the form.
  const leaves = groups.filter((g) => g.parentId !== null).slice(0, 11);
  const lines = Object.fromEntries(
    leaves.flatMap((g, i) => [
      [`lines[${i}][targetGroupId]`, String(g.id)],
      [`lines[${i}][amount]`, '1'],
    ]),
  );
  const zeroLine = await finance.postForm(`${grantUrl}/award`, {
    version: '1',
    awarded: '11',
    ...lines,
    'lines[10][amount]': '0',
  });
  t.equal(zeroLine.statusCode, 422, 'a line of 0 kr. is refused beside its field, as the API refuses amountOre 0');
  t.match(zeroLine.body, /Beløbet skal være større end 0 kr\./);
  const split = await finance.postForm(`${grantUrl}/award`, { version: '1', awarded: '11', ...lines });
  t.equal(split.statusCode, 303, 'eleven lines are taken');
  if (split.statusCode !== 303)
    await finance.inject({
      method: 'POST',
      url: `/api/v1/grants/${grantId}/transitions`,
      payload: { to: 'approved', version: 1, awardedOre: 1100, targetGroupId: leaves[0]?.id },
    });

  const zero = await finance.postForm(`${grantUrl}/payments`, {
    version: '2',
    kind: 'payment',
    paidOn: '2026-04-01',
    amount: '0',
  });
  t.equal(zero.statusCode, 422, 'a payment of 0 kr. is refused beside its field');
  t.match(zero.body, /Beløbet skal være større end 0 kr\./);
  const api = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grants/${grantId}`,
    payload: { version: 2, payments: [{ paidOn: '2026-04-01', amountOre: 0 }] },
  });
  t.equal(api.statusCode, 400, 'as the API refuses it');
  const paid = await finance.postForm(`${grantUrl}/payments`, {
    version: '2',
    paidOn: '2026-04-01',
    amount: '11',
  });
  t.equal(paid.statusCode, 303, 'a payment without a kind is a payment, as in the API');
  t.match((await finance.inject({ method: 'GET', url: `/api/v1${grantUrl}` })).json().payments, [
    { kind: 'payment', paidOn: '2026-04-01', amountOre: 1100 },
  ]);
});

t.test('a round moves on one step at a time from its page; a decided round takes no applications', async (t) => {
  const finance = await h.as('finance', 101);
  const created = await finance.postForm('/grant-rounds', { name: 'Trinpuljen', year: '2026', budget: '1.000' });
  const url = String(created.headers.location);
  t.equal(
    (await finance.postForm(`${url}/advance`, { version: '1', confirm: 'yes' })).statusCode,
    303,
    'planned → open',
  );
  t.equal(
    (await finance.postForm(`${url}/advance`, { version: '1', confirm: 'yes' })).statusCode,
    409,
    'a page read before a step',
  );
  for (const version of ['2', '3'])
    t.equal((await finance.postForm(`${url}/advance`, { version, confirm: 'yes' })).statusCode, 303);
  const round = (await finance.inject({ method: 'GET', url: `/api/v1${url}` })).json();
  t.same([round.status, round.version], ['decided', 4]);
  const page = await finance.inject({ method: 'GET', url });
  t.notMatch(page.body, /href="\/grants\/new\?roundId=/, 'no application to a decided round');
  t.equal(
    (await finance.postForm(`${url}/advance`, { version: '4', confirm: 'yes' })).statusCode,
    303,
    'decided stays decided',
  );
  t.equal((await finance.inject({ method: 'GET', url: `/api/v1${url}` })).json().version, 4);
});
