import t from 'tap';
import { expectAccessible, startBrowserSession } from './browser.ts';

t.test('first run, sign-in, an actor and its history, and the audit trail', async (t) => {
  const { page, consoleErrors } = await startBrowserSession(t);

  await page.goto('/actors');
  await page.waitForURL(/\/setup$/);
  t.equal(
    await page.locator('h1').textContent(),
    'Opret den første administrator',
    'with no user, every page leads to setup',
  );
  await expectAccessible(t, page, 'the setup page');
  await page.getByLabel('Navn (skal udfyldes)').fill('Anne Admin');
  await page.getByLabel('E-mail (skal udfyldes)').fill('anne@kk.dk');
  await page.getByLabel('Adgangskode (skal udfyldes)').fill('kort');
  await page.getByLabel('Kommune (skal udfyldes)').selectOption('101');
  await page.getByRole('button', { name: 'Opret administrator' }).click();
  await page.waitForSelector('#field-password-error');
  t.match(await page.locator('#field-password-error').textContent(), /mindst 12 tegn/);
  await expectAccessible(t, page, 'the setup page with errors');
  await page.getByLabel('Adgangskode (skal udfyldes)').fill('en lang adgangskode');
  await page.getByRole('button', { name: 'Opret administrator' }).click();
  await page.waitForURL((u) => u.pathname === '/');
  t.equal(await page.locator('h1').textContent(), 'Opfølgning', 'signing in lands on the follow-up page');

  await page.getByRole('button', { name: 'Log ud' }).click();
  await page.waitForURL(/\/login$/);
  await expectAccessible(t, page, 'the login page');
  await page.getByLabel('E-mail (skal udfyldes)').fill('anne@kk.dk');
  await page.getByLabel('Adgangskode (skal udfyldes)').fill('forkert adgangskode');
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.waitForSelector('.alert-error');
  t.match(await page.locator('.alert-error').textContent(), /E-mail eller adgangskode er forkert/);
  await expectAccessible(t, page, 'the login page after a failed sign-in');
  await page.getByLabel('Adgangskode (skal udfyldes)').fill('en lang adgangskode');
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.waitForURL(/\/$|\/actors$/);

  await page.goto('/actors/new');
  await page.getByLabel('Navn (skal udfyldes)').fill('Foreningen Bryggens Frivillige');
  await page.getByLabel('Organisationsform (skal udfyldes)').selectOption('association');
  await page.getByLabel('Inklusionsarena', { exact: true }).check();
  await page.getByRole('button', { name: 'Opret aktør' }).click();
  await page.waitForURL(/\/actors\/\d+$/);
  const actorUrl = page.url();

  await page.getByRole('link', { name: 'Ret aktør' }).click();
  await page.getByLabel('Telefon', { exact: true }).first().fill('33 66 33 66');
  await page.getByRole('button', { name: 'Gem ændringer' }).click();
  await page.waitForURL(actorUrl);

  await page.getByRole('link', { name: 'Historik' }).click();
  await page.waitForURL(/\/history$/);
  const history = await page.locator('main table').textContent();
  t.match(history, /Oprettet/, 'the new actor is in its history');
  t.match(history, /Ændret/);
  t.match(history, /33 66 33 66/);
  t.match(history, /Anne Admin/);
  await expectAccessible(t, page, 'the history tab');

  await page.getByRole('link', { name: 'Revisionsspor' }).click();
  await page.waitForURL(/\/audit$/);
  t.match(await page.locator('main table').textContent(), /Mislykket log-ind/, 'failed sign-ins are in the trail');
  await expectAccessible(t, page, 'the audit page');
  await page.evaluate(() => {
    (window as unknown as { marker: string }).marker = 'same page';
  });
  await page.getByLabel('Handling').selectOption('update');
  await page.waitForFunction(() =>
    document.querySelector('#audit-results [role=status]')?.textContent?.startsWith('1 '),
  );
  t.equal(
    await page.evaluate(() => (window as unknown as { marker?: string }).marker),
    'same page',
    'filtered with htmx',
  );
  t.match(page.url(), /action=update/);
  await expectAccessible(t, page, 'the audit page after an htmx swap');
  t.same(consoleErrors, [], 'no console errors and no CSP violations');
});
