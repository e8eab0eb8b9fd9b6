import ExcelJS from 'exceljs';
import t from 'tap';
import { parseCsv } from '../../../src/lib/csv.ts';
import { actorInput, validCvr } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';

/** The grant list (issue 19, point 7): free-text search, sorting, a paid column, and the CVR in the export. */

const CVR = validCvr(4242);

t.test('the grant list searches, sorts, shows what is paid, and exports the CVR', async (t) => {
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
  }[];
  const stof = groups.find((g) => g.nameDa === 'Stofmisbrug')?.id ?? 0;
  const actor = async (name: string, cvr?: string) =>
    (
      await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name, ...(cvr ? { cvr } : {}) }) })
    ).json().id as number;
  const aa = await actor('Æblehaven Aalborg', CVR);
  const bb = await actor('Bydelsmødrene');
  const round = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: 'Listepuljen', budgetOre: 100_000_000 },
    })
  ).json();
  const grant = async (
    actorId: number,
    title: string,
    extra: Record<string, unknown>,
    awardedOre?: number,
    on?: string,
  ) => {
    let g = (
      await finance.inject({
        method: 'POST',
        url: '/api/v1/grants',
        payload: { roundId: round.id, actorId, title, requestedOre: 1_000_000, ...extra },
      })
    ).json();
    if (awardedOre) {
      g = (
        await finance.inject({
          method: 'POST',
          url: `/api/v1/grants/${g.id}/transitions`,
          payload: { to: 'approved', version: g.version, awardedOre, targetGroupId: stof, decisionOn: on },
        })
      ).json();
    }
    return g as { id: number; version: number };
  };
  const morning = await grant(aa, 'Morgenmad', { purpose: 'Varm grød til hjemløse' }, 800_000, '2026-03-01');
  const language = await grant(bb, 'Sprogcafé', { externalRef: 'SAG-2026-77' }, 300_000, '2026-02-01');
  await grant(bb, 'Lektiehjælp', {});
  const paid = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grants/${morning.id}`,
    payload: { version: morning.version, payments: [{ kind: 'payment', paidOn: '2026-04-01', amountOre: 500_000 }] },
  });
  t.equal(paid.statusCode, 200, paid.body);

  const titles = (body: string) => [...body.matchAll(/<a href="\/grants\/\d+">([^<]+)<\/a>/g)].map((m) => m[1]);
  const list = async (query: string) => finance.inject({ method: 'GET', url: `/grants?roundId=${round.id}&${query}` });

  t.same(titles((await list('q=gr%C3%B8d')).body), ['Morgenmad'], 'the purpose is searched');
  t.same(
    titles((await list('q=aeblehaven')).body),
    ['Morgenmad'],
    'and the actor’s name, folded as names are (æ as ae)',
  );
  t.same(titles((await list('q=sag-2026-77')).body), ['Sprogcafé'], 'and the case number');
  t.same(titles((await list('q=bydelsm%C3%B8drene+lektie')).body), ['Lektiehjælp'], 'every word must match');
  // Across every municipality the words are looked up otherwise (textSearch): the same grants.
  const everywhere = async (query: string) =>
    titles((await finance.inject({ method: 'GET', url: `/grants?${query}` })).body);
  t.same(await everywhere('q=bydelsm%C3%B8drene+lektie'), ['Lektiehjælp'], 'not narrowed: every word must match');
  t.same(await everywhere('q=aeblehaven'), ['Morgenmad'], 'not narrowed: the actor’s name');
  t.same(await everywhere('q=gr%C3%B8d+aalborg'), ['Morgenmad'], 'not narrowed: the purpose and the actor’s name');

  t.same(titles((await list('sort=awarded')).body), ['Sprogcafé', 'Morgenmad', 'Lektiehjælp'], 'by amount, none last');
  t.same(titles((await list('sort=-awarded')).body), ['Morgenmad', 'Sprogcafé', 'Lektiehjælp']);
  t.same(
    titles((await list('sort=actor')).body),
    ['Morgenmad', 'Sprogcafé', 'Lektiehjælp'],
    'by actor, folded as the actor list sorts (Æ as AE)',
  );
  t.same(titles((await list('sort=decision')).body), ['Sprogcafé', 'Morgenmad', 'Lektiehjælp'], 'by decision date');
  t.same(
    titles((await list('sort=status')).body),
    ['Lektiehjælp', 'Morgenmad', 'Sprogcafé'],
    'by status, in the order of the flow',
  );
  const api = await finance.inject({ method: 'GET', url: `/api/v1/grants?roundId=${round.id}&sort=-awarded&q=a` });
  t.equal(api.json().items[0].title, 'Morgenmad', 'the API sorts the same way');
  t.equal(api.json().paidOre, '500000', 'and sums what is paid');

  // What is paid in all: payments less repayments, of the grants listed only.
  const repaid = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grants/${language.id}`,
    payload: {
      version: language.version,
      payments: [
        { kind: 'payment', paidOn: '2026-03-01', amountOre: 300_000 },
        { kind: 'repayment', paidOn: '2026-06-01', amountOre: 50_000 },
      ],
    },
  });
  t.equal(repaid.statusCode, 200, repaid.body);
  const paidIn = async (query: string) =>
    (await finance.inject({ method: 'GET', url: `/api/v1/grants?roundId=${round.id}&${query}` })).json().paidOre;
  t.equal(await paidIn('limit=1'), '750000', 'the round: 500,000 + 300,000 - 50,000, beyond the page shown');
  t.equal(await paidIn('q=sprog'), '250000', 'one grant found: its own payments less its repayment');
  t.equal(await paidIn('status=applied'), '0', 'grants with no payments: nothing');

  const page = await list('sort=awarded');
  t.match(
    page.body,
    /<th scope="col" class="samspil-num" aria-sort="ascending"><a href="[^"]*sort=-awarded/,
    'aria-sort on the sorted column, whose link turns it around',
  );
  t.match(
    page.body,
    /<th scope="col"><a href="[^"]*sort=actor[^"]*"[^>]*>Aktør<span class="sr-only">, sortér/,
    'the other columns are links to sort by',
  );
  t.match(page.body, /<th scope="col" class="samspil-num">Udbetalt<\/th>/, 'a paid column');
  t.match(
    page.body,
    /Morgenmad[\s\S]*?8\.000,00 kr\.<\/td>\s*<td class="samspil-num">5\.000,00 kr\.<\/td>/,
    'with what is paid',
  );
  t.match(page.body, /<tfoot>[\s\S]*7\.500,00 kr\./, 'and its total, repayments less');
  t.match(page.body, /href="\/grants\/export\.csv\?roundId=\d+&amp;sort=awarded"/, 'the export keeps the order');
  const partial = await finance.inject({
    method: 'GET',
    url: `/grants?roundId=${round.id}&sort=-actor`,
    headers: { 'hx-request': 'true', 'hx-target': 'grant-results' },
  });
  t.match(
    partial.body,
    /<input type="hidden" name="sort" id="filter-sort" value="-actor" hx-swap-oob="true">/,
    'the htmx swap keeps the filter form’s order',
  );
  t.notMatch(partial.body, /<html/);

  const csv = await finance.inject({ method: 'GET', url: `/grants/export.csv?roundId=${round.id}&sort=-awarded` });
  const rows = parseCsv(csv.body, ';');
  const header = rows[0] ?? [];
  t.equal(header[header.indexOf('Aktør') + 1], 'CVR-nummer', 'the CVR follows the actor');
  t.equal(rows[1]?.[header.indexOf('CVR-nummer')], CVR, 'the actor’s CVR, as text');
  t.equal(rows[2]?.[header.indexOf('CVR-nummer')], '', 'none for an actor without one');
  t.equal(rows[1]?.[header.indexOf('Udbetalt (kr.)')], '5000,00', 'Danish decimal commas still');
  const xlsx = await finance.inject({
    method: 'GET',
    url: `/api/v1/exports/grants.xlsx?roundId=${round.id}&sort=-awarded`,
  });
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
  const sheet = book.worksheets[0];
  if (!sheet) throw new Error('the workbook has no sheet');
  const heads = (sheet.getRow(1).values as unknown[]).slice(1);
  t.equal((sheet.getRow(2).values as unknown[]).slice(1)[heads.indexOf('CVR-nummer')], CVR, 'the XLSX has it as text');
});

t.test('the round menu lists the rounds of the municipality listed, else the user’s, newest year first', async (t) => {
  const h = await buildTestApp(t);
  const own = await h.as('finance', 101);
  const other = await h.as('finance', 147);
  const round = (as: typeof own, year: number, name: string) =>
    as.inject({ method: 'POST', url: '/api/v1/grant-rounds', payload: { year, name, budgetOre: 1_000_000 } });
  // Rounds without a grant: the menu names them all the same.
  for (const [year, name] of [
    [2025, 'Bpuljen'],
    [2027, 'Cpuljen'],
    [2025, 'Apuljen'],
  ] as const)
    t.equal((await round(own, year, name)).statusCode, 201, name);
  t.equal((await round(other, 2026, 'Frederiksbergpuljen')).statusCode, 201);

  const menu = (body: string) =>
    [
      ...(/<select[^>]*name="roundId"[^>]*>([\s\S]*?)<\/select>/.exec(body)?.[1] ?? '').matchAll(
        /<option value="\d+"[^>]*>([^<]+)</g,
      ),
    ].map((m) => m[1]);
  const page = async (query: string) => {
    const res = await own.inject({ method: 'GET', url: `/grants${query}` });
    t.equal(res.statusCode, 200, query);
    return menu(res.body);
  };
  t.same(
    await page(''),
    ['Cpuljen (2027, København)', 'Apuljen (2025, København)', 'Bpuljen (2025, København)'],
    'the user’s municipality, the newest year first and by name within a year',
  );
  t.same(await page('?municipalityCode=147'), ['Frederiksbergpuljen (2026, Frederiksberg)'], 'the municipality listed');
  t.same(await page('?regionCode=1084'), await page(''), 'a region listed: the user’s municipality’s');
  t.same(
    await page('?municipalityCode=147&year=2025&q=ingen'),
    ['Frederiksbergpuljen (2026, Frederiksberg)'],
    'whatever the list finds',
  );

  // The results alone (htmx) show no menu: their rows' rounds are named from the page.
  const roundId = (
    (await own.inject({ method: 'GET', url: '/api/v1/grant-rounds?year=2025' })).json().items as {
      id: number;
      name: string;
    }[]
  ).find((r) => r.name === 'Apuljen')?.id;
  const actor = (
    await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name: 'Menuforeningen' }) })
  ).json();
  const made = await own.inject({
    method: 'POST',
    url: '/api/v1/grants',
    payload: { roundId, actorId: actor.id, title: 'Menutilskud', requestedOre: 100_000 },
  });
  t.equal(made.statusCode, 201, made.body);
  const results = await own.inject({
    method: 'GET',
    url: '/grants?q=Menutilskud',
    headers: { 'hx-request': 'true', 'hx-target': 'grant-results' },
  });
  t.match(results.body, /Menutilskud[\s\S]*Apuljen \(2025\)/, 'the row’s round named');
  t.notMatch(results.body, /name="roundId"/, 'and no menu');
});
