import t from 'tap';
import { system } from '../../src/lib/principal.ts';
import { validCvr } from '../factories.ts';
import { expectAccessible, startBrowserSession } from './browser.ts';

t.test('a coordinator registers an actor through the form and filters the list with htmx', async (t) => {
  const { app, page, consoleErrors } = await startBrowserSession(t);
  await app.services.accounts.createUser(
    system,
    {
      email: 'karin@kk.dk',
      name: 'Karin Koordinator',
      password: 'en lang adgangskode',
      role: 'coordinator',
      municipalityCode: 101,
    },
    { system: true },
  );

  await page.goto('/actors');
  t.match(page.url(), /\/login\?next=%2Factors$/, 'signed out, the list leads to the login page');
  await page.getByLabel('E-mail').fill('karin@kk.dk');
  await page.getByLabel('Adgangskode').fill('en lang adgangskode');
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.waitForURL(/\/actors$/);
  t.equal(await page.locator('html').getAttribute('lang'), 'da');
  t.equal(await page.locator('h1').textContent(), 'Aktører');
  await expectAccessible(t, page, 'the empty actor list');

  await page.getByRole('link', { name: 'Opret aktør' }).click();
  await page.waitForURL(/\/actors\/new$/);
  await page.getByRole('button', { name: 'Opret aktør' }).click();
  await page.waitForSelector('#error-summary');
  t.match(await page.locator('#field-name-error').textContent(), /Feltet skal udfyldes/);
  t.match(await page.locator('#field-roles-error').textContent(), /Vælg mindst én rolle/);
  await expectAccessible(t, page, 'the form showing errors');

  await page.getByLabel('Navn (skal udfyldes)').fill('Kirkens Korshær Natcafé');
  await page.getByLabel('CVR-nummer').fill('12345678');
  await page.getByLabel('Organisationsform (skal udfyldes)').selectOption('association');
  await page.getByLabel('Fortaler', { exact: true }).check();
  await page.getByLabel('Navn', { exact: true }).first().fill('Kirkens Korshær Natcafé');
  await page.locator('#field-contacts-0-name').fill('Jonas Madsen');
  await page.getByRole('button', { name: 'Opret aktør' }).click();
  await page.waitForSelector('#field-cvr-error');
  t.match(await page.locator('#field-cvr-error').textContent(), /CVR-nummeret er ikke gyldigt/);
  t.equal(await page.locator('#field-name').inputValue(), 'Kirkens Korshær Natcafé', 'what was typed is kept');
  t.equal(
    await page.locator('#field-homeMunicipalityCode').inputValue(),
    '101',
    'the home municipality defaults to the user’s',
  );

  await page.locator('#field-cvr').fill(validCvr(424242));
  await page.getByRole('button', { name: 'Opret aktør' }).click();
  await page.waitForURL(/\/actors\/\d+$/);
  t.match(await page.locator('h1').textContent(), /Kirkens Korshær Natcafé/);
  t.match(await page.locator('#h-contacts + table').textContent(), /Jonas Madsen/);
  await expectAccessible(t, page, 'the detail page');

  await page.goto('/actors/quick');
  await page.getByLabel('Gruppens navn (skal udfyldes)').fill('Gadens Fodboldhold');
  await page.locator('#field-contact-name').fill('Ali Hassan');
  await page.getByRole('button', { name: 'Registrér gruppen' }).click();
  await page.waitForURL(/\/actors\/\d+$/);
  t.match(await page.locator('.samspil-dl').first().textContent(), /Uformel gruppe/);

  await page.goto('/actors');
  t.equal(await page.locator('#actor-results tbody tr').count(), 2);
  await page.evaluate(() => {
    (window as unknown as { marker: string }).marker = 'same page';
  });
  await page.locator('#filter-q').fill('Korshaer');
  await page.waitForFunction(() => document.querySelectorAll('#actor-results tbody tr').length === 1);
  t.match(await page.locator('#actor-results tbody').textContent(), /Kirkens Korshær Natcafé/, 'æ found by typing ae');
  t.match(page.url(), /[?&]q=Korshaer/, 'the filter is kept in the URL');
  t.equal(
    await page.evaluate(() => (window as unknown as { marker?: string }).marker),
    'same page',
    'no full page load',
  );
  await expectAccessible(t, page, 'the list after an htmx swap');

  await page.locator('#filter-q').fill('');
  await page.waitForFunction(() => document.querySelectorAll('#actor-results tbody tr').length === 2);
  await page.locator('#filter-role').selectOption('inclusion_arena');
  await page.waitForFunction(() => document.querySelectorAll('#actor-results tbody tr').length === 1);
  t.match(await page.locator('#actor-results tbody').textContent(), /Gadens Fodboldhold/);
  t.match(page.url(), /role=inclusion_arena/);
  t.equal(await page.evaluate(() => (window as unknown as { marker?: string }).marker), 'same page');
  await expectAccessible(t, page, 'the list filtered by role');
  t.same(consoleErrors, [], 'no console errors and no CSP violations');
});
