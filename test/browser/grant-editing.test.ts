import t from 'tap';
import { system } from '../../src/lib/principal.ts';
import { actorInput, validCvr } from '../factories.ts';
import { errorSummaryFocused, expectAccessible, startBrowserSession } from './browser.ts';

/**
 * Finance fixes its own records (issue 19, point 5) and finds grants in the list (point 7): a round,
 * a grant and a payment edited with the keyboard, a stale form answered with the values as they are
 * now, and the grant list searched and sorted. axe on every state.
 */
t.test('finance edits a round, a grant and a payment, and searches and sorts the grant list', async (t) => {
  const { app, page, consoleErrors } = await startBrowserSession(t);
  const { accounts, actors, grants, targetGroups } = app.services;
  const PASSWORD = 'en lang adgangskode';
  const admin = await accounts.createUser(
    system,
    { email: 'a@kk.dk', name: 'Admin', password: PASSWORD, role: 'admin', municipalityCode: 101 },
    { system: true },
  );
  await accounts.createUser(
    system,
    { email: 'frida@kk.dk', name: 'Frida Økonomi', password: PASSWORD, role: 'finance', municipalityCode: 101 },
    { system: true },
  );
  await accounts.createUser(
    system,
    { email: 'carl@kk.dk', name: 'Carl Koordinator', password: PASSWORD, role: 'coordinator', municipalityCode: 101 },
    { system: true },
  );
  const principal = { userId: admin.id, municipalityCode: 101, role: 'admin' as const };
  const trappen = await actors.register(principal, actorInput({ name: 'Værestedet Trappen', cvr: validCvr(5150) }));
  const kors = await actors.register(principal, actorInput({ name: 'Blå Kors Varmestue' }));
  const round = await grants.createRound(principal, {
    year: 2026,
    name: '§ 18-puljen 2026',
    budgetOre: 50_000_000,
    applicationsOpenOn: '2026-01-05',
    applicationsCloseOn: '2026-02-28',
  });
  const stof = (await targetGroups.tree()).find((g) => g.nameDa === 'Stofmisbrug')?.id ?? 0;
  const applied = await grants.apply(principal, {
    roundId: round.id,
    actorId: trappen.id,
    title: 'Aftenåbent værested',
    kind: 'money',
    requestedOre: 8_000_000,
  });
  const approved = await grants.transition(principal, applied.id, {
    to: 'approved',
    version: applied.version,
    awardedOre: 6_000_000,
    targetGroupId: stof,
  });
  const paid = await grants.recordPayment(principal, applied.id, {
    version: approved.version,
    kind: 'payment',
    paidOn: '2026-04-01',
    amountOre: 2_000_000,
  });
  await grants.apply(principal, {
    roundId: round.id,
    actorId: kors.id,
    title: 'Varm suppe',
    kind: 'money',
    requestedOre: 1_000_000,
  });

  await page.goto('/login');
  await page.getByLabel('E-mail (skal udfyldes)').fill('frida@kk.dk');
  await page.getByLabel('Adgangskode (skal udfyldes)').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.waitForURL((u) => u.pathname === '/');

  // ---- the round: its dates on its page, then the edit form, by keyboard
  await page.goto(`/grant-rounds/${round.id}`);
  t.match(await page.locator('main').textContent(), /Ansøgningsperiode\s*05\.01\.2026 til 28\.02\.2026/);
  t.match(await page.locator('main').textContent(), /Afgørelsesdato\s*Ikke fastsat/);
  await expectAccessible(t, page, 'the round page with its dates');
  await page.getByRole('link', { name: 'Ret puljen' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/grant-rounds\/\d+\/edit$/);
  t.match(await page.locator('#edit-rule').textContent(), /Budgettet kan ikke sættes lavere end .*60\.000,00 kr\./);
  await expectAccessible(t, page, 'the round edit form');
  const budget = page.getByLabel('Budget i kroner (skal udfyldes)');
  await budget.focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('40.000');
  await page.keyboard.press('Enter');
  await errorSummaryFocused(page);
  t.match(
    await page.locator('#field-budget-error').textContent(),
    /ikke være mindre end det, der allerede er bevilget/,
  );
  await expectAccessible(t, page, 'the round edit form refusing a budget below the awards');
  await budget.focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('450.000');
  await page.getByLabel('Afgørelsesdato').fill('2026-03-20');
  await budget.focus();
  await page.keyboard.press('Enter');
  // The form refused before answered at this address too (its action): the round's page is there when
  // its edit link is, not when the address matches.
  await page.waitForURL(new RegExp(`/grant-rounds/${round.id}$`));
  await page.getByRole('link', { name: 'Ret puljen', exact: true }).waitFor();
  t.match(await page.locator('main').textContent(), /Afgørelsesdato\s*20\.03\.2026/, 'the decision date is saved');
  t.match(await page.locator('main').textContent(), /450\.000,00 kr\./, 'and the budget');

  // A form opened before someone else saved: 409, with the round as it is now.
  await page.goto(`/grant-rounds/${round.id}/edit`);
  const current = await grants.getRound(round.id);
  await grants.updateRound(principal, round.id, { version: current.version, name: '§ 18-puljen 2026 (rettet)' });
  await page.getByLabel('Navn (skal udfyldes)').fill('Mit navn');
  await page.getByRole('button', { name: 'Gem puljen' }).click();
  await page.waitForSelector('text=En anden har ændret puljen imens');
  t.match(await page.locator('.alert-warning').textContent(), /§ 18-puljen 2026 \(rettet\)/);
  t.equal(await page.getByLabel('Navn (skal udfyldes)').inputValue(), 'Mit navn', 'what was typed is kept');
  await expectAccessible(t, page, 'the round edit form after a conflict');

  // ---- the grant: an approved grant changes its case number and period, not its amount
  await page.goto(`/grants/${applied.id}`);
  await page.getByRole('link', { name: 'Ret bevillingen' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/grants\/\d+\/edit$/);
  t.match(await page.locator('#edit-rule').textContent(), /Beløbene ligger fast/);
  t.equal(await page.locator('input[name="requested"]').count(), 0, 'no amount field on an awarded grant');
  await expectAccessible(t, page, 'the grant edit form');
  await page.getByLabel('Sagsnummer').fill('2026-0142');
  await page.getByLabel('Periode fra').fill('2026-05-01');
  await page.getByLabel('Periode til').fill('2026-04-01');
  await page.getByLabel('Sagsnummer').focus();
  await page.keyboard.press('Enter');
  await errorSummaryFocused(page);
  t.match(await page.locator('#error-summary').textContent(), /Periode til: Perioden skal slutte/);
  await expectAccessible(t, page, 'the grant edit form with an error');
  await page.getByLabel('Periode til').fill('2027-04-30');
  await page.getByLabel('Sagsbehandler').selectOption({ label: 'Carl Koordinator (Frivillighedskoordinator)' });
  await page.getByRole('button', { name: 'Gem bevillingen' }).click();
  await page.waitForURL(new RegExp(`/grants/${applied.id}$`));
  const facts = await page.locator('dl.samspil-dl').first().textContent();
  t.match(facts, /Sagsnummer\s*2026-0142/, 'the case number on the grant page');
  t.match(facts, /Periode\s*01\.05\.2026 til 30\.04\.2027/, 'and the period');
  t.match(facts, /Sagsbehandler\s*Carl Koordinator/, 'and the case handler chosen');

  // ---- the payment: corrected from its row, by keyboard
  await page.getByRole('link', { name: /Ret udbetalingen 01\.04\.2026/ }).focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/payments\/\d+\/edit$/);
  await expectAccessible(t, page, 'the payment correction form');
  const amount = page.getByLabel('Beløb i kroner (skal udfyldes)');
  await amount.focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('70.000');
  await page.keyboard.press('Enter');
  await errorSummaryFocused(page);
  t.match(
    await page.locator('#error-summary').textContent(),
    /Udbetalingerne giver i alt 70\.000,00 kr\., bevillingen er 60\.000,00 kr\./,
  );
  await expectAccessible(t, page, 'the payment correction form refusing too much');
  await amount.focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('25.000');
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`/grants/${applied.id}$`));
  t.match(await page.locator('table', { hasText: 'Udbetalinger' }).textContent(), /25\.000,00 kr\./);
  t.ok(paid.payments.length === 1);

  // ---- the grant list: search live with htmx, sort by a column header with the keyboard
  await page.goto('/grants');
  await page.getByLabel('Søg i bevillinger').fill('suppe');
  await page.waitForFunction(() => document.querySelectorAll('#grant-results tbody tr').length === 1);
  t.match(await page.locator('#grant-results tbody').textContent(), /Varm suppe/, 'the search narrowed the list');
  await expectAccessible(t, page, 'the grant list searched');
  await page.getByLabel('Søg i bevillinger').fill('');
  await page.waitForFunction(() => document.querySelectorAll('#grant-results tbody tr').length === 2);
  await page.getByRole('link', { name: /^Bevilget\s*, sortér$/ }).focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('th[aria-sort="ascending"]');
  t.match(await page.locator('th[aria-sort="ascending"]').textContent(), /Bevilget/);
  t.match(page.url(), /sort=awarded/, 'the order is in the address');
  await page.getByRole('link', { name: /^Bevilget\s*, sortér$/ }).focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('th[aria-sort="descending"]');
  t.match(await page.locator('#grant-results tbody tr').first().textContent(), /Aftenåbent værested/);
  t.match(await page.locator('#grant-results tbody tr').first().textContent(), /25\.000,00 kr\./, 'the paid column');
  await expectAccessible(t, page, 'the grant list sorted');
  t.same(consoleErrors, [], 'no console errors');
});
