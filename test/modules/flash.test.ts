import t from 'tap';
import { actorInput } from '../factories.ts';
import { flashOf, followRedirect } from '../flash.ts';
import { buildTestApp, type Client } from '../helper.ts';

// One app for the file: each test makes its own users, actors and rounds, under names of its own.
const h = await buildTestApp(t);
const admin = { userId: h.user.id, role: 'admin' as const, municipalityCode: 101 };

/** Sends a form, follows its redirect as a browser does, and answers the message the page shows. */
async function saved(client: Client, url: string, form: Record<string, string | string[]>) {
  const res = await client.postForm(url, form);
  const page = await followRedirect(client, res);
  return { res, page, flash: flashOf(page.body) };
}

t.test('each form’s success redirect leads to a page that says what was saved, once', async (t) => {
  const finance = await h.as('finance');
  const coordinator = await h.as('coordinator');

  // Actors: the form on /actors/new posts to its own address.
  const actor = await saved(coordinator, '/actors/new', {
    name: 'Foreningen Vendepunktet',
    orgType: 'association',
    roles: ['advocate'],
    homeMunicipalityCode: '101',
    status: 'active',
  });
  t.match(String(actor.res.headers.location), /^\/actors\/\d+$/);
  t.equal(actor.flash, 'Aktøren »Foreningen Vendepunktet« er oprettet.', 'a new actor');
  const actorUrl = String(actor.res.headers.location);
  const again = await coordinator.inject({ method: 'GET', url: actorUrl });
  t.equal(flashOf(again.body), '', 'and the message is gone on the next page');
  t.match(String(actor.page.headers['set-cookie']), /samspil_flash=;/, 'its cookie cleared once shown');

  const edited = await saved(coordinator, `${actorUrl}/edit`, {
    name: 'Foreningen Vendepunktet Nord',
    orgType: 'association',
    roles: ['advocate'],
    homeMunicipalityCode: '101',
    status: 'active',
    version: '1',
  });
  t.equal(edited.flash, 'Aktøren »Foreningen Vendepunktet Nord« er gemt.', 'an edited actor');
  const quick = await saved(coordinator, '/actors/quick', {
    name: 'Strikkecaféen',
    'contact[name]': 'Mette',
    'contact[phone]': '12345678',
  });
  t.equal(quick.flash, 'Aktøren »Strikkecaféen« er oprettet.', 'an informal group');

  // Agreements, and a meeting logged without JavaScript.
  const agreement = await saved(coordinator, '/agreements/new', {
    title: 'Natcafé-samarbejdet',
    kind: 'informal',
    actorIds: [actorUrl.split('/').pop() ?? ''],
    startsOn: '2026-01-01',
    meetingIntervalMonths: '3',
    status: 'draft',
  });
  t.equal(agreement.flash, 'Aftalen »Natcafé-samarbejdet« er oprettet.', 'a new agreement');
  const agreementUrl = String(agreement.res.headers.location);
  const active = await saved(coordinator, `${agreementUrl}/status`, { to: 'active', version: '1' });
  t.equal(active.flash, 'Aftalen »Natcafé-samarbejdet« er nu aktiv.', 'a status changed');
  const meeting = await saved(coordinator, `${agreementUrl}/meetings`, { heldOn: '2026-02-01' });
  t.equal(meeting.flash, 'Statusmødet er gemt.', 'a meeting logged');

  // Rounds and grants.
  const round = await saved(finance, '/grant-rounds', { name: 'Puljen 2026', year: '2026', budget: '100.000' });
  t.equal(round.flash, 'Puljen »Puljen 2026« er oprettet.', 'a new round');
  const roundUrl = String(round.res.headers.location);
  const opened = await saved(finance, `${roundUrl}/advance`, { version: '1' });
  t.equal(opened.flash, 'Puljen »Puljen 2026« har nu status »Åben«.', 'a round opened');
  const application = await saved(finance, '/grants/new', {
    roundId: roundUrl.split('/').pop() ?? '',
    actorId: actorUrl.split('/').pop() ?? '',
    title: 'Varmestue om aftenen',
    kind: 'money',
    requested: '40.000',
  });
  t.equal(application.flash, 'Ansøgningen »Varmestue om aftenen« er registreret.', 'an application');
  const grantUrl = String(application.res.headers.location);
  const groups = await h.app.services.targetGroups.tree();
  const group = String(groups.find((g) => g.nameDa === 'Hjemløshed')?.id);
  const award = await saved(finance, `${grantUrl}/award`, { version: '1', awarded: '40.000', wholeTo: group });
  t.equal(award.flash, 'Ansøgningen »Varmestue om aftenen« er bevilget med 40.000,00 kr.', 'an award');
  const payment = await saved(finance, `${grantUrl}/payments`, {
    version: '2',
    kind: 'payment',
    paidOn: '2026-03-01',
    amount: '15.000',
  });
  t.equal(payment.flash, 'Udbetalingen på 15.000,00 kr. er registreret.', 'a payment');
  const report = await saved(finance, `${grantUrl}/report`, { version: '3', reportReceivedOn: '2026-04-01' });
  t.equal(report.flash, 'Afrapporteringen af »Varmestue om aftenen« er gemt.', 'a report');

  // Target groups, users, API keys.
  const parent = String(groups.find((g) => g.nameDa === 'Stofmisbrug')?.id);
  const local = await saved(h, '/target-groups', { nameDa: 'Unge med hash', parentId: parent });
  t.equal(local.flash, 'Målgruppen »Unge med hash« er oprettet.', 'a local target group');
  const user = await saved(h, '/admin/users', {
    email: 'bo@kk.dk',
    name: 'Bo Bruger',
    password: 'en midlertidig kode',
    role: 'viewer',
  });
  t.equal(user.flash, 'Brugeren Bo Bruger er oprettet.', 'a new user');
  const token = await h.postForm('/account/tokens', { name: 'Regnearket' });
  t.equal(token.statusCode, 201);
  t.equal(flashOf(token.body), 'API-nøglen »Regnearket« er oprettet.', 'an API key, on the page that shows it');
});

t.test('a message is one user’s: signed with their session, never kept in a shared page', async (t) => {
  const other = await h.as('admin');
  await h.app.services.actors.register(admin, actorInput({ name: 'Kirkens Korshær' }));
  // The list is a shared, kept page: warm it, then save with a message that leads there.
  await other.inject({ method: 'GET', url: '/actors' });
  const res = await h.postForm('/admin/users', {
    email: 'lis@kk.dk',
    name: 'Lis Larsen',
    password: 'en midlertidig kode',
    role: 'viewer',
  });
  const cookie = String(res.headers['set-cookie']).split(';')[0] ?? '';
  t.match(cookie, /^samspil_flash=.+/);
  const mine = await h.inject({ method: 'GET', url: '/actors', headers: { cookie: `${h.cookie}; ${cookie}` } });
  t.equal(flashOf(mine.body), 'Brugeren Lis Larsen er oprettet.', 'shown on a kept page');
  const theirs = await other.inject({ method: 'GET', url: '/actors' });
  t.equal(flashOf(theirs.body), '', 'and not to the next user of that page');
  t.match(theirs.body, /Kirkens Korshær/);
  const stolen = await other.inject({
    method: 'GET',
    url: '/actors',
    headers: { cookie: `${other.cookie}; ${cookie}` },
  });
  t.equal(flashOf(stolen.body), '', 'another session’s message is not shown');
  const forged = cookie.replace(/=(.)/, (_m, c: string) => `=${c === 'W' ? 'X' : 'W'}`);
  const tampered = await h.inject({ method: 'GET', url: '/actors', headers: { cookie: `${h.cookie}; ${forged}` } });
  t.equal(flashOf(tampered.body), '', 'a changed message is not shown');

  // htmx: an answer that swaps a part of the page carries the message out of band.
  const partial = await h.inject({
    method: 'GET',
    url: '/actors?q=Kirkens',
    headers: { cookie: `${h.cookie}; ${cookie}`, 'hx-request': 'true', 'hx-target': 'actor-results' },
  });
  t.match(partial.body, /<div id="flash" class="samspil-flash" role="status" aria-live="polite" hx-swap-oob="true">/);
  t.equal(flashOf(partial.body), 'Brugeren Lis Larsen er oprettet.');
  const plain = await h.inject({
    method: 'GET',
    url: '/actors?q=Kirkens',
    headers: { 'hx-request': 'true', 'hx-target': 'actor-results' },
  });
  t.notMatch(plain.body, /id="flash"/, 'no region without a message');
});

t.test('sums that do not add up name both numbers, once', async (t) => {
  const finance = await h.as('finance');
  const actor = await h.app.services.actors.register(admin, actorInput({ name: 'Varmestuen' }));
  const round = await h.app.services.grants.createRound(
    { userId: finance.user.id, role: 'finance', municipalityCode: 101 },
    { name: 'Puljen', year: 2026, budgetOre: 10_000_000 },
  );
  await h.app.services.grants.advanceRound(
    { userId: finance.user.id, role: 'finance', municipalityCode: 101 },
    round.id,
    1,
  );
  const applied = await finance.postForm('/grants/new', {
    roundId: String(round.id),
    actorId: String(actor.id),
    title: 'Aftenåbent',
    kind: 'money',
    requested: '40.000',
  });
  const grantUrl = String(applied.headers.location);
  const groups = await h.app.services.targetGroups.tree();
  const gid = (name: string) => String(groups.find((g) => g.nameDa === name)?.id);
  const split = await finance.postForm(`${grantUrl}/award`, {
    version: '1',
    awarded: '40.000',
    'lines[0][targetGroupId]': gid('Hjemløshed'),
    'lines[0][amount]': '25.000',
    'lines[1][targetGroupId]': gid('Stofmisbrug'),
    'lines[1][amount]': '10.000',
  });
  t.equal(split.statusCode, 422);
  const said = split.body.match(/Fordelingen giver 35\.000,00 kr\., bevillingen er 40\.000,00 kr\./g) ?? [];
  t.equal(said.length, 1, 'the split’s sum and the award, said once');
  t.match(split.body, /id="error-summary" autofocus/, 'the summary takes the focus');
  const api = await finance.inject({
    method: 'POST',
    url: `/api/v1/grants/${grantUrl.split('/').pop()}/transitions`,
    payload: {
      to: 'approved',
      version: 1,
      awardedOre: 4_000_000,
      allocations: [{ targetGroupId: Number(gid('Hjemløshed')), amountOre: 3_500_000 }],
    },
  });
  t.equal(
    api.json().message,
    'Fordelingen giver 35.000,00 kr., bevillingen er 40.000,00 kr. ' +
      'Fordelingen skal give præcis det bevilgede beløb.',
    'the API says the numbers too',
  );

  const awarded = await finance.postForm(`${grantUrl}/award`, {
    version: '1',
    awarded: '40.000',
    wholeTo: gid('Hjemløshed'),
  });
  t.equal(awarded.statusCode, 303);
  const over = await finance.postForm(`${grantUrl}/payments`, {
    version: '2',
    kind: 'payment',
    paidOn: '2026-03-01',
    amount: '45.000',
  });
  t.equal(over.statusCode, 409);
  const paid = over.body.match(/Udbetalingerne giver i alt 45\.000,00 kr\., bevillingen er 40\.000,00 kr\./g) ?? [];
  t.equal(paid.length, 1, 'the payments’ sum and the award, said once');
});

t.test('a refused form keeps the address it was opened at', async (t) => {
  const actor = await h.app.services.actors.register(admin, actorInput({ name: 'Værestedet Lyset' }));
  const finance = await h.as('finance');
  const financeOf = { userId: finance.user.id, role: 'finance' as const, municipalityCode: 101 };
  const round = await h.app.services.grants.createRound(financeOf, {
    name: 'Formularpuljen',
    year: 2026,
    budgetOre: 100,
  });
  await h.app.services.grants.advanceRound(financeOf, round.id, 1);
  for (const [page, fragment, client] of [
    ['/actors/new', 'action="/actors/new"', h],
    [`/actors/${actor.id}/edit`, `action="/actors/${actor.id}/edit"`, h],
    ['/agreements/new', 'action="/agreements/new"', h],
    ['/grants/new', 'action="/grants/new"', finance],
    ['/outreach/new', 'action="/outreach/new"', h],
  ] as const) {
    const form = await client.inject({ method: 'GET', url: page });
    t.ok(form.body.includes(fragment), `${page} posts to itself`);
    const refused = await client.postForm(page, { version: '1' });
    t.equal(refused.statusCode, 422, `${page} re-renders its form when refused`);
    t.match(refused.body, /id="error-summary"/);
  }
});
