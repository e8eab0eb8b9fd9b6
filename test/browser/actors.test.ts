import type { Page } from 'playwright-core';
import t from 'tap';
import { system } from '../../src/lib/principal.ts';
import { validCvr } from '../factories.ts';
import { errorSummaryFocused, expectAccessible, startBrowserSession } from './browser.ts';

const PASSWORD = 'en lang adgangskode';

/** Clicks a submit button and returns the status of the form's POST (before any redirect is followed). */
async function submitStatus(page: Page, button: string, path: string): Promise<number> {
  const [response] = await Promise.all([
    page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === path && r.request().isNavigationRequest(),
    ),
    page.getByRole('button', { name: button, exact: true }).click(),
  ]);
  await page.waitForLoadState('load');
  return response.status();
}

async function signIn(page: Page, email: string): Promise<void> {
  await page.getByLabel('E-mail (skal udfyldes)').fill(email);
  await page.getByLabel('Adgangskode (skal udfyldes)').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log ind' }).click();
}

t.test('a coordinator registers an actor through the form and filters the list with htmx', async (t) => {
  const { app, browser, base, page, consoleErrors } = await startBrowserSession(t);
  for (const [email, name, municipalityCode] of [
    ['karin@kk.dk', 'Karin Koordinator', 101],
    ['anders@aarhus.dk', 'Anders Koordinator', 751],
  ] as const) {
    await app.services.accounts.createUser(
      system,
      { email, name, password: PASSWORD, role: 'coordinator', municipalityCode },
      { system: true },
    );
  }

  // 1. The empty list.
  await page.goto('/actors');
  t.match(page.url(), /\/login\?next=%2Factors$/, 'signed out, the list leads to the login page');
  await signIn(page, 'karin@kk.dk');
  await page.waitForURL(/\/actors$/);
  t.equal(await page.locator('html').getAttribute('lang'), 'da');
  t.equal(await page.locator('h1').textContent(), 'Aktører');
  t.match(await page.locator('#actor-results').textContent(), /Ingen aktører passer til filtrene/, 'the list is empty');
  await expectAccessible(t, page, 'the empty actor list');

  // 2. The form, sent empty: 422 with the errors beside their fields.
  await page.getByRole('link', { name: 'Opret aktør' }).click();
  await page.waitForURL(/\/actors\/new$/);
  t.equal(await submitStatus(page, 'Opret aktør', '/actors/new'), 422, 'an empty form is answered 422');
  await errorSummaryFocused(page);
  t.match(await page.locator('#field-name-error').textContent(), /Feltet skal udfyldes/);
  t.equal(await page.locator('#field-name').getAttribute('aria-invalid'), 'true');
  t.match(await page.locator('#field-roles-error').textContent(), /Vælg mindst én rolle/);
  t.ok(await page.locator('#error-summary a[href="#field-name"]').count(), 'the summary links to the name field');
  await expectAccessible(t, page, 'the form showing errors');

  // 3. A CVR number that fails modulus-11, then a valid one.
  await page.getByLabel('Navn (skal udfyldes)').fill('Kirkens Korshær Natcafé');
  await page.getByLabel('CVR-nummer').fill('12345678');
  await page.getByLabel('Organisationsform (skal udfyldes)').selectOption('association');
  await page.getByLabel('Fortaler', { exact: true }).check();
  t.equal(
    await page.locator('#field-homeMunicipalityCode').inputValue(),
    '101',
    'the home municipality defaults to the user’s',
  );
  await page.getByLabel('Hjemkommune (skal udfyldes)').selectOption('101');
  await page.locator('#field-contacts-0-name').fill('Jonas Madsen');
  t.equal(await submitStatus(page, 'Opret aktør', '/actors/new'), 422, 'an invalid CVR number is answered 422');
  t.match(await page.locator('#field-cvr-error').textContent(), /CVR-nummeret er ikke gyldigt/);
  t.equal(await page.locator('#field-cvr').getAttribute('aria-invalid'), 'true');
  t.equal(await page.locator('#field-name').inputValue(), 'Kirkens Korshær Natcafé', 'what was typed is kept');
  t.ok(await page.locator('#role-advocate').isChecked(), 'the ticked role is kept');
  t.equal(await page.locator('#field-contacts-0-name').inputValue(), 'Jonas Madsen', 'the contact is kept');
  await expectAccessible(t, page, 'the form with an invalid CVR number');

  await page.locator('#field-cvr').fill(validCvr(424242));
  t.equal(await submitStatus(page, 'Opret aktør', '/actors/new'), 303, 'a valid form is answered 303');
  t.match(page.url(), /\/actors\/\d+$/, 'lands on the new actor’s page');
  t.match(await page.locator('h1').textContent(), /Kirkens Korshær Natcafé/);
  t.match(await page.locator('main').textContent(), new RegExp(validCvr(424242)), 'the CVR number is shown');
  t.match(await page.locator('#h-contacts + .samspil-scroll table').textContent(), /Jonas Madsen/);
  await expectAccessible(t, page, 'the detail page');

  // 4. A colleague in Aarhus registers an informal group with the quick form.
  const aarhus = await browser.newContext({ baseURL: base, locale: 'da-DK' });
  try {
    const other = await aarhus.newPage();
    await other.goto('/actors/quick');
    await signIn(other, 'anders@aarhus.dk');
    await other.waitForURL(/\/actors\/quick$/);
    await expectAccessible(t, other, 'the quick form for an informal group');
    // A name beyond Latin-1: the HTML carries it as references (src/lib/html.ts), the page shows it.
    await other.getByLabel('Gruppens navn (skal udfyldes)').fill('Gadens Fodboldhold – Łódź ☕');
    await other.locator('#field-contact-name').fill('Ali Hassan');
    t.equal(await submitStatus(other, 'Registrér gruppen', '/actors/quick'), 303, 'the quick form is answered 303');
    t.match(other.url(), /\/actors\/\d+$/);
    t.match(await other.locator('h1').textContent(), 'Gadens Fodboldhold – Łódź ☕', 'the name as typed');
    t.match(await other.locator('.samspil-dl').first().textContent(), /Uformel gruppe/);
    t.match(await other.locator('.samspil-dl').first().textContent(), /Aarhus/, 'the group belongs to Aarhus');
  } finally {
    await aarhus.close();
  }

  // 5. Live filtering: htmx swaps the results and pushes the URL, with no full page load.
  await page.goto('/actors');
  t.equal(await page.locator('#actor-results tbody tr').count(), 2, 'both actors are listed');
  await page.evaluate(() => {
    (window as unknown as { marker: string }).marker = 'same page';
  });
  const marker = () => page.evaluate(() => (window as unknown as { marker?: string }).marker);
  await page.getByLabel('Søg', { exact: true }).pressSequentially('Korshaer', { delay: 20 });
  await page.waitForFunction(() => document.querySelectorAll('#actor-results tbody tr').length === 1);
  t.match(await page.locator('#actor-results tbody').textContent(), /Kirkens Korshær Natcafé/, 'æ found by typing ae');
  await page.waitForURL(/[?&]q=Korshaer/);
  t.match(page.url(), /[?&]q=Korshaer/, 'the search is pushed to the URL');
  t.equal(await marker(), 'same page', 'no full page load after the search');
  await expectAccessible(t, page, 'the list after an htmx swap');

  await page.locator('#filter-q').fill('');
  await page.waitForFunction(() => document.querySelectorAll('#actor-results tbody tr').length === 2);
  await page.locator('#filter-role').selectOption('inclusion_arena');
  await page.waitForFunction(() => document.querySelectorAll('#actor-results tbody tr').length === 1);
  t.match(await page.locator('#actor-results tbody').textContent(), /Gadens Fodboldhold/);
  t.notMatch(await page.locator('#actor-results tbody').textContent(), /Korshær/);
  await page.waitForURL(/role=inclusion_arena/);
  t.match(page.url(), /role=inclusion_arena/, 'the role is pushed to the URL');
  t.equal(await marker(), 'same page', 'no full page load after choosing a role');
  await expectAccessible(t, page, 'the list filtered by role');
  t.same(consoleErrors, [], 'no console errors and no CSP violations');
});
