import type { Page } from 'playwright-core';
import t from 'tap';
import { addMonths, danishDate } from '../../src/lib/dates.ts';
import { formatDate } from '../../src/lib/format.ts';
import { system } from '../../src/lib/principal.ts';
import { actorInput } from '../factories.ts';
import { errorSummaryFocused, expectAccessible, startBrowserSession } from './browser.ts';

const PASSWORD = 'en lang adgangskode';

async function signIn(page: Page, email: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('E-mail (skal udfyldes)').fill(email);
  await page.getByLabel('Adgangskode (skal udfyldes)').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.waitForURL((u) => u.pathname === '/');
}

t.test('a saved form says so in a status region; a refused one puts the focus on its errors', async (t) => {
  const { app, browser, base, page, consoleErrors } = await startBrowserSession(t);
  const karin = await app.services.accounts.createUser(
    system,
    { email: 'karin@kk.dk', name: 'Karin Koordinator', password: PASSWORD, role: 'coordinator', municipalityCode: 101 },
    { system: true },
  );
  await signIn(page, 'karin@kk.dk');

  // Refused: the URL stays the form's, and the focus is on the error summary.
  await page.goto('/actors/new');
  await page.getByRole('button', { name: 'Opret aktør', exact: true }).click();
  await errorSummaryFocused(page);
  t.pass('the focus is on the error summary');
  t.equal(new URL(page.url()).pathname, '/actors/new', 'the address is still the form’s');
  await page.keyboard.press('Tab');
  t.equal(
    await page.evaluate(() => document.activeElement?.getAttribute('href')),
    '#field-name',
    'the next Tab reaches the first error’s link',
  );
  await expectAccessible(t, page, 'the refused actor form');

  // Saved: the message is in the layout's status region, announced politely.
  await page.getByLabel('Navn (skal udfyldes)').fill('Foreningen Vendepunktet');
  await page.getByLabel('Fortaler', { exact: true }).check();
  await page.getByLabel('Organisationsform (skal udfyldes)').selectOption('association');
  await page.getByRole('button', { name: 'Opret aktør', exact: true }).click();
  await page.waitForURL(/\/actors\/\d+$/);
  const region = page.locator('#flash');
  await region.getByText('Aktøren »Foreningen Vendepunktet« er oprettet.').waitFor();
  t.equal(await region.getAttribute('role'), 'status');
  t.equal(await region.getAttribute('aria-live'), 'polite');
  t.equal(await region.locator('.alert.alert-success').count(), 1, 'in DKFDS’s success alert');
  await expectAccessible(t, page, 'the actor page with its success message');
  await page.reload();
  t.equal((await region.textContent())?.trim(), '', 'gone on the next page');

  // Without JavaScript: the summary is focused all the same (autofocus), and the message shows.
  const plain = await browser.newContext({ baseURL: base, locale: 'da-DK', javaScriptEnabled: false });
  t.teardown(() => plain.close());
  const noJs = await plain.newPage();
  await signIn(noJs, 'karin@kk.dk');
  await noJs.goto('/actors/new');
  await noJs.getByRole('button', { name: 'Opret aktør', exact: true }).click();
  await errorSummaryFocused(noJs);
  t.pass('without JavaScript, the focus is on the error summary');
  t.equal(new URL(noJs.url()).pathname, '/actors/new', 'without JavaScript too, the address is the form’s');
  await noJs.getByLabel('Navn (skal udfyldes)').fill('Natcaféen');
  await noJs.getByLabel('Fortaler', { exact: true }).check();
  await noJs.getByLabel('Organisationsform (skal udfyldes)').selectOption('association');
  await noJs.getByRole('button', { name: 'Opret aktør', exact: true }).click();
  await noJs.waitForURL(/\/actors\/\d+$/);
  t.equal(
    (await noJs.locator('#flash').textContent())?.trim(),
    'Aktøren »Natcaféen« er oprettet.',
    'and the message shows',
  );

  // A meeting logged in place: the next meeting's date is swapped too (out of band).
  const principal = { userId: karin.id, municipalityCode: 101, role: 'coordinator' as const };
  const actor = await app.services.actors.register(principal, actorInput({ name: 'Varmestuen', contacts: [] }));
  const agreement = await app.services.agreements.create(principal, {
    title: 'Varmestue-samarbejdet',
    kind: 'informal',
    actorIds: [actor.id],
    startsOn: '2026-01-01',
    meetingIntervalMonths: 3,
    status: 'active',
    responsibilities: [],
    targetGroupIds: [],
    grantIds: [],
  });
  await page.goto(`/agreements/${agreement.id}`);
  const before = await page.locator('#next-meeting').textContent();
  const today = danishDate();
  await page.getByLabel('Deltagere').fill('Karin, Ali');
  await page.getByRole('button', { name: 'Gem mødet' }).click();
  await page.waitForSelector('#proposal');
  const expected = formatDate(addMonths(today, 3));
  await page.locator('#next-meeting', { hasText: expected }).waitFor();
  t.not(before, await page.locator('#next-meeting').textContent(), 'Næste statusmøde senest changed without a reload');
  t.match(await page.locator('#next-meeting').textContent(), expected);
  await expectAccessible(t, page, 'the agreement page after a meeting logged in place');

  // htmx: a refused meeting puts the focus on its error summary.
  await page.getByLabel('Afholdt den (skal udfyldes)').fill('');
  await page.getByRole('button', { name: 'Gem mødet' }).click();
  await page.waitForSelector('#meetings #error-summary');
  await errorSummaryFocused(page);
  t.pass('after an htmx swap, the focus is on the error summary');
  await expectAccessible(t, page, 'the agreement page with a refused meeting');

  t.same(consoleErrors, [], 'no console errors or CSP violations');
});
