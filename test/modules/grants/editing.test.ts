import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { actorInput } from '../../factories.ts';
import { buildTestApp, type Client, type TestApp } from '../../helper.ts';

/**
 * Finance fixes its own records (issue 19, point 5): a round's details, a grant's details as far as
 * its status allows, and a payment. Every change is version-checked (409 and the values as they are
 * now on a stale form) and audited.
 */

async function setup(t: Test) {
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
  }[];
  const stof = groups.find((g) => g.nameDa === 'Stofmisbrug')?.id ?? 0;
  const actor = (await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput() })).json();
  const round = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: {
        year: 2026,
        name: '§ 18-puljen 2026',
        budgetOre: 10_000_000,
        applicationsOpenOn: '2026-01-05',
        applicationsCloseOn: '2026-02-28',
        decisionOn: '2026-03-20',
      },
    })
  ).json();
  const apply = async (title: string, extra: Record<string, unknown> = {}) => {
    const res = await finance.inject({
      method: 'POST',
      url: '/api/v1/grants',
      payload: { roundId: round.id, actorId: actor.id, title, requestedOre: 6_000_000, ...extra },
    });
    t.equal(res.statusCode, 201, res.body);
    return res.json() as { id: number; version: number };
  };
  const award = async (g: { id: number; version: number }, awardedOre: number) => {
    const res = await finance.inject({
      method: 'POST',
      url: `/api/v1/grants/${g.id}/transitions`,
      payload: { to: 'approved', version: g.version, awardedOre, targetGroupId: stof },
    });
    t.equal(res.statusCode, 200, res.body);
    return res.json() as { id: number; version: number };
  };
  return { h, finance, actor, round, apply, award };
}

const auditOf = async (h: TestApp, entity: string, id: number) =>
  h.database.rows<{ action: string; before: Record<string, unknown>; after: Record<string, unknown> }>(
    sql`select action, before, after from audit_log where entity = ${entity} and entity_id = ${String(id)} order by id`,
  );

const get = (c: Client, url: string) => c.inject({ method: 'GET', url });

t.test('a round is edited through its form: dates shown, version checked, rules kept, audited', async (t) => {
  const { h, finance, round, apply, award } = await setup(t);
  const page = await get(finance, `/grant-rounds/${round.id}`);
  t.match(page.body, /Ansøgningsperiode<\/dt><dd>05\.01\.2026 til 28\.02\.2026/, 'the application window is shown');
  t.match(page.body, /Afgørelsesdato<\/dt><dd>20\.03\.2026/, 'and the decision date');
  t.match(page.body, new RegExp(`href="/grant-rounds/${round.id}/edit"`), 'finance is offered the edit form');

  const form = await get(finance, `/grant-rounds/${round.id}/edit`);
  t.equal(form.statusCode, 200);
  t.match(form.body, /name="budget"[^>]*value="100\.000,00"/, 'the budget as people type it');
  t.match(form.body, /name="applicationsCloseOn"[^>]*value="2026-02-28"/);

  const viewer = await h.as('viewer', 101);
  t.equal((await get(viewer, `/grant-rounds/${round.id}/edit`)).statusCode, 403, 'a viewer may not open it');
  const foreign = await h.as('finance', 147);
  t.equal(
    (await foreign.postForm(`/grant-rounds/${round.id}`, { version: '1', name: 'x', year: '2026', budget: '1' }))
      .statusCode,
    403,
    'nor may another municipality’s finance',
  );

  const base = { name: '§ 18-puljen 2026', year: '2026', budget: '120.000', decisionOn: '2026-03-27' };
  const backwards = await finance.postForm(`/grant-rounds/${round.id}`, {
    ...base,
    version: '1',
    applicationsOpenOn: '2026-03-01',
    applicationsCloseOn: '2026-02-01',
  });
  t.equal(backwards.statusCode, 422, 'a window that closes before it opens');
  t.match(backwards.body, /Ansøgningsfristen skal ligge samme dag som eller efter/);

  const saved = await finance.postForm(`/grant-rounds/${round.id}`, {
    ...base,
    version: '1',
    applicationsOpenOn: '2026-01-05',
    applicationsCloseOn: '',
  });
  t.equal(saved.statusCode, 303, saved.body);
  t.equal(saved.headers.location, `/grant-rounds/${round.id}`);
  const now = (await finance.inject({ method: 'GET', url: `/api/v1/grant-rounds/${round.id}` })).json();
  t.equal(now.budgetOre, 12_000_000);
  t.equal(now.applicationsCloseOn, null, 'a cleared date is cleared');
  t.equal(now.decisionOn, '2026-03-27');
  t.equal(now.version, 2);

  const stale = await finance.postForm(`/grant-rounds/${round.id}`, { ...base, version: '1', name: 'Forældet' });
  t.equal(stale.statusCode, 409, 'a stale form is refused');
  t.match(stale.body, /En anden har ændret puljen imens/);
  t.match(stale.body, /120\.000,00 kr\./, 'with the values as they are now');
  t.match(stale.body, /name="version" value="2"/, 'and the form carries the current version');
  t.match(stale.body, /value="Forældet"/, 'what the user typed is kept');

  await award(await apply('Varmestue'), 5_000_000);
  const below = await finance.postForm(`/grant-rounds/${round.id}`, { ...base, version: '2', budget: '40.000' });
  t.equal(below.statusCode, 409, 'the budget cannot go below what is awarded');
  t.match(below.body, /Budgettet kan ikke være mindre end det, der allerede er bevilget/);
  t.match(below.body, /Bevilget indtil nu: 50\.000,00 kr\./, 'the form names the amount awarded');
  const year = await finance.postForm(`/grant-rounds/${round.id}`, { ...base, version: '2', year: '2027' });
  t.equal(year.statusCode, 409, 'the year is fixed once the round has grants');
  t.match(year.body, /Året kan ikke ændres/);
  const apiBelow = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grant-rounds/${round.id}`,
    payload: { version: 2, budgetOre: 100 },
  });
  t.equal(apiBelow.statusCode, 409, 'the API keeps the same rule');
  t.equal(apiBelow.json().code, 'BUDGET_BELOW_AWARDED');

  const audit = await auditOf(h, 'grant_round', round.id);
  t.same(
    audit.map((a) => a.action),
    ['create', 'update'],
  );
  t.equal(audit[1]?.before.budgetOre, 10_000_000, 'the audit row holds the round before');
  t.equal(audit[1]?.after.budgetOre, 12_000_000, 'and after');
});

t.test('a grant is edited as far as its status allows, with a case number', async (t) => {
  const { h, finance, round, apply, award } = await setup(t);
  await apply('Nattevagt', { externalRef: '2026-0001' });
  const applied = await apply('Varmestue', { periodStart: '2026-04-01', periodEnd: '2027-03-31' });
  const url = `/grants/${applied.id}`;
  const due = { reportDueOn: '2027-06-01' };
  const show = await get(finance, url);
  t.match(show.body, /Periode<\/dt><dd>01\.04\.2026 til 31\.03\.2027/, 'the grant page shows the period');
  t.match(show.body, new RegExp(`href="${url}/edit"`));

  const form = await get(finance, `${url}/edit`);
  t.equal(form.statusCode, 200);
  t.match(form.body, /name="requested"[^>]*value="60\.000,00"/, 'an application can change its amount');
  t.match(form.body, /name="externalRef"/, 'and has a case number field');
  t.match(form.body, /alt kan rettes, også det ansøgte beløb/, 'the rule is stated');

  const taken = await finance.postForm(url, {
    ...due,
    version: '1',
    title: 'Varmestue',
    requested: '60.000',
    externalRef: '2026-0001',
  });
  t.equal(taken.statusCode, 422, 'a case number is unique in its round');
  t.match(taken.body, /En anden bevilling i puljen har allerede det sagsnummer/);
  const backwards = await finance.postForm(url, {
    ...due,
    version: '1',
    title: 'Varmestue',
    requested: '60.000',
    periodStart: '2026-05-01',
    periodEnd: '2026-04-01',
  });
  t.equal(backwards.statusCode, 422);
  t.match(backwards.body, /Perioden skal slutte samme dag som eller efter/);

  const saved = await finance.postForm(url, {
    version: '1',
    title: 'Varmestue om aftenen',
    purpose: '',
    requested: '55.000',
    externalRef: '2026-0002',
    periodStart: '2026-04-01',
    periodEnd: '2026-12-31',
    reportDueOn: '2027-06-01',
  });
  t.equal(saved.statusCode, 303, saved.body);
  let grant = (await finance.inject({ method: 'GET', url: `/api/v1${url}` })).json();
  t.equal(grant.title, 'Varmestue om aftenen');
  t.equal(grant.requestedOre, 5_500_000);
  t.equal(grant.externalRef, '2026-0002');
  t.equal(grant.periodEnd, '2026-12-31');
  t.match((await get(finance, url)).body, /Sagsnummer<\/dt><dd>2026-0002/, 'the page shows the case number');
  const list = await get(finance, `/grants?q=2026-0002`);
  t.match(list.body, /Varmestue om aftenen/, 'and the list finds it by case number');

  const stale = await finance.postForm(url, { ...due, version: '1', title: 'Gammel titel', requested: '60.000' });
  t.equal(stale.statusCode, 409, 'a stale form is refused');
  t.match(stale.body, /En anden har ændret bevillingen imens/);
  t.match(stale.body, /Varmestue om aftenen/, 'with the current values');
  t.match(stale.body, /name="version" value="2"/);

  await award(grant, 5_000_000);
  const approvedForm = await get(finance, `${url}/edit`);
  t.notMatch(approvedForm.body, /name="requested"/, 'an awarded grant no longer offers its amount');
  t.match(approvedForm.body, /Beløbene ligger fast/, 'and says why');
  const sneaky = await finance.postForm(url, { ...due, version: '3', title: 'Varmestue', requested: '1' });
  t.equal(sneaky.statusCode, 303, 'a field the status locks is not read from the form');
  grant = (await finance.inject({ method: 'GET', url: `/api/v1${url}` })).json();
  t.equal(grant.requestedOre, 5_500_000, 'the amount is unchanged');
  const apiLocked = await finance.inject({
    method: 'PATCH',
    url: `/api/v1${url}`,
    payload: { version: grant.version, requestedOre: 100 },
  });
  t.equal(apiLocked.statusCode, 409, 'the service refuses a locked field');
  t.equal(apiLocked.json().code, 'GRANT_FIELD_LOCKED');
  t.same(apiLocked.json().fieldErrors, { requestedOre: ['Kan ikke ændres, når bevillingen er givet.'] });
  const apiSame = await finance.inject({
    method: 'PATCH',
    url: `/api/v1${url}`,
    payload: { version: grant.version, requestedOre: 5_500_000, purpose: 'Aftenåbent' },
  });
  t.equal(apiSame.statusCode, 200, 'sending a locked field unchanged is no change');

  const audit = await auditOf(h, 'grant', applied.id);
  const edit = audit.find((a) => a.action === 'update');
  t.equal(edit?.before.title, 'Varmestue', 'the edit is audited with the grant before');
  t.equal(edit?.after.title, 'Varmestue om aftenen', 'and after');
  t.equal((await get(await h.as('viewer', 101), `${url}/edit`)).statusCode, 403);
  t.ok(round.id);
});

t.test('a payment is corrected, within the award, and audited', async (t) => {
  const { h, finance, apply, award } = await setup(t);
  const g = await award(await apply('Varmestue'), 5_000_000);
  const url = `/grants/${g.id}`;
  t.equal(
    (
      await finance.postForm(`${url}/payments`, {
        version: String(g.version),
        kind: 'payment',
        paidOn: '2026-04-01',
        amount: '30.000',
      })
    ).statusCode,
    303,
  );
  let grant = (await finance.inject({ method: 'GET', url: `/api/v1${url}` })).json();
  const paymentId = grant.payments[0].id as number;
  const show = await get(finance, url);
  t.match(show.body, new RegExp(`href="${url}/payments/${paymentId}/edit"`), 'each payment offers a correction');

  const form = await get(finance, `${url}/payments/${paymentId}/edit`);
  t.equal(form.statusCode, 200);
  t.match(form.body, /name="amount"[^>]*value="30\.000,00"/);
  const tooMuch = await finance.postForm(`${url}/payments/${paymentId}`, {
    version: String(grant.version),
    kind: 'payment',
    paidOn: '2026-04-01',
    amount: '60.000',
  });
  t.equal(tooMuch.statusCode, 409, 'a correction stays within the award');
  t.match(tooMuch.body, /må tilsammen ikke overstige det bevilgede beløb/);

  const fixed = await finance.postForm(`${url}/payments/${paymentId}`, {
    version: String(grant.version),
    kind: 'payment',
    paidOn: '2026-04-02',
    amount: '50.000',
  });
  t.equal(fixed.statusCode, 303, fixed.body);
  grant = (await finance.inject({ method: 'GET', url: `/api/v1${url}` })).json();
  t.match(grant.payments, [{ id: paymentId, kind: 'payment', paidOn: '2026-04-02', amountOre: 5_000_000 }]);
  t.equal(grant.paidOre, 5_000_000);

  const stale = await finance.postForm(`${url}/payments/${paymentId}`, {
    version: String(grant.version - 1),
    kind: 'payment',
    paidOn: '2026-04-03',
    amount: '50.000',
  });
  t.equal(stale.statusCode, 409, 'a stale correction is refused');
  t.match(stale.body, /En anden har ændret bevillingen imens/);
  t.match(stale.body, /02\.04\.2026/, 'with the payment as it is now');

  const [row] = (await auditOf(h, 'grant', g.id)).filter((a) => a.action === 'correct_payment');
  t.match(row?.after.payment, {
    id: paymentId,
    before: { paidOn: '2026-04-01', amountOre: 3_000_000 },
    after: { paidOn: '2026-04-02', amountOre: 5_000_000 },
  });

  t.equal(
    (await finance.postForm(`${url}/transition`, { version: String(grant.version), to: 'paid', confirm: 'yes' }))
      .statusCode,
    303,
  );
  const unpaid = await finance.inject({
    method: 'PUT',
    url: `/api/v1${url}/payments/${paymentId}`,
    payload: { version: grant.version + 1, kind: 'payment', paidOn: '2026-04-02', amountOre: 4_000_000 },
  });
  t.equal(unpaid.statusCode, 409, 'a grant marked as paid stays fully paid');
  t.equal(unpaid.json().code, 'NOT_FULLY_PAID');
  const dateOnly = await finance.inject({
    method: 'PUT',
    url: `/api/v1${url}/payments/${paymentId}`,
    payload: { version: grant.version + 1, kind: 'payment', paidOn: '2026-04-05', amountOre: 5_000_000 },
  });
  t.equal(dateOnly.statusCode, 200, dateOnly.body);
  t.equal(dateOnly.json().payments[0].paidOn, '2026-04-05');

  t.equal((await get(finance, `${url}/payments/999999/edit`)).statusCode, 404, 'an unknown payment');
  const other = await award(await apply('Nattevagt'), 1_000_000);
  t.equal(
    (await get(finance, `/grants/${other.id}/payments/${paymentId}/edit`)).statusCode,
    404,
    'a payment of another grant is not found under this one',
  );
});
