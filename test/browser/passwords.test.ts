import type { Page } from 'playwright-core';
import t from 'tap';
import { system } from '../../src/lib/principal.ts';
import { expectAccessible, startBrowserSession } from './browser.ts';

/**
 * Passwords in the browser (issue 19, point 4): an admin sets a temporary password, the user is
 * sent to change it at the next sign-in and can reach nothing else until they have, and a user
 * changes their own password from the account page. Typed with the keyboard; axe on every state.
 */

const PASSWORD = 'en lang adgangskode';

async function signIn(page: Page, email: string, password: string) {
  await page.goto('/login');
  await page.getByLabel('E-mail (skal udfyldes)', { exact: true }).fill(email);
  await page.getByLabel('Adgangskode (skal udfyldes)', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log ind' }).click();
}

t.test('an admin resets a password, and the user must change it before anything else', async (t) => {
  const { app, page, consoleErrors } = await startBrowserSession(t);
  const { accounts } = app.services;
  for (const [email, name, role] of [
    ['anne@kk.dk', 'Anne Admin', 'admin'],
    ['bo@kk.dk', 'Bo Bruger', 'coordinator'],
  ] as const) {
    await accounts.createUser(
      system,
      { email, name, password: PASSWORD, role, municipalityCode: 101 },
      { system: true },
    );
  }

  await signIn(page, 'anne@kk.dk', PASSWORD);
  await page.waitForURL((u) => u.pathname === '/');
  await page.goto('/admin/users');
  await expectAccessible(t, page, 'the user list');
  // The keyboard: to the "Ret" link of Bo's row, and Enter.
  await page.getByRole('link', { name: 'Ret Bo Bruger' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/admin\/users\/\d+\/edit$/);
  t.equal(await page.locator('h1').textContent(), 'Ret bruger: Bo Bruger');
  await expectAccessible(t, page, 'the edit-user page');

  const temporary = page.getByLabel('Ny midlertidig adgangskode (skal udfyldes)', { exact: true });
  await temporary.focus();
  await page.keyboard.type('kort');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#field-password-error');
  t.match(await page.locator('#field-password-error').textContent(), /mindst 12 tegn/);
  await expectAccessible(t, page, 'the edit-user page with an error');

  await temporary.focus();
  await page.keyboard.type('midlertidig kode til bo');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/users\/\d+\/edit$/);
  await page
    .locator('#flash')
    .getByText(/Bo Bruger har fået en midlertidig adgangskode/)
    .waitFor();
  t.pass('the success message says so');
  await expectAccessible(t, page, 'the edit-user page after the reset');

  // Name and role, by keyboard as well: the form's own submit button.
  await page.getByLabel('Navn (skal udfyldes)', { exact: true }).fill('Bo Berg');
  await page.getByLabel('Rolle', { exact: true }).selectOption('finance');
  await page.getByRole('button', { name: 'Gem bruger' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/admin\/users$/);
  const row = page.locator('tr', { hasText: 'Bo Berg' });
  t.match(await row.textContent(), /Økonomi/, 'the new role is in the list');
  t.match(await row.textContent(), /skal skifte adgangskode/, 'and that the password must change');

  await page.getByRole('button', { name: 'Log ud', exact: true }).click();
  await page.waitForURL(/\/login$/);
  await signIn(page, 'bo@kk.dk', 'midlertidig kode til bo');
  await page.waitForURL(/\/account\/password$/);
  t.match(await page.locator('.alert-info[role=status]').textContent(), /midlertidig adgangskode/, 'told why');
  await expectAccessible(t, page, 'the change-password page of a temporary password');
  await page.goto('/actors');
  await page.waitForURL(/\/account\/password$/);
  t.pass('any other page leads back here');

  await page.getByLabel('Midlertidig adgangskode (skal udfyldes)', { exact: true }).focus();
  await page.keyboard.type('forkert adgangskode');
  await page.keyboard.press('Tab');
  await page.keyboard.type('et helt nyt kodeord til bo');
  await page.keyboard.press('Tab');
  await page.keyboard.type('et helt nyt kodeord til bo');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#field-currentPassword-error');
  t.match(await page.locator('#field-currentPassword-error').textContent(), /forkert/);
  await expectAccessible(t, page, 'the change-password page with a wrong password');

  await page.getByLabel('Midlertidig adgangskode (skal udfyldes)', { exact: true }).fill('midlertidig kode til bo');
  await page.getByLabel('Ny adgangskode (skal udfyldes)', { exact: true }).fill('et helt nyt kodeord til bo');
  await page.getByLabel('Gentag ny adgangskode (skal udfyldes)', { exact: true }).fill('et helt nyt kodeord til bo');
  await page.getByLabel('Gentag ny adgangskode (skal udfyldes)', { exact: true }).press('Enter');
  await page.waitForURL(/\/account$/);
  await page
    .locator('#flash')
    .getByText(/Din adgangskode er skiftet/)
    .waitFor();
  t.pass('the success message says so');
  await expectAccessible(t, page, 'the account page after the change');
  await page.goto('/actors');
  t.equal(new URL(page.url()).pathname, '/actors', 'every page opens again');

  // And an ordinary change, from the account page.
  await page.goto('/account');
  await page.getByRole('link', { name: 'Skift adgangskode' }).click();
  await page.waitForURL(/\/account\/password$/);
  await expectAccessible(t, page, 'the change-password page');
  await page.getByLabel('Nuværende adgangskode (skal udfyldes)', { exact: true }).fill('et helt nyt kodeord til bo');
  await page.getByLabel('Ny adgangskode (skal udfyldes)', { exact: true }).fill('endnu et nyt kodeord');
  await page.getByLabel('Gentag ny adgangskode (skal udfyldes)', { exact: true }).fill('endnu et andet kodeord');
  await page.getByRole('button', { name: 'Skift adgangskode' }).click();
  await page.waitForSelector('#field-repeatPassword-error');
  t.match(await page.locator('#field-repeatPassword-error').textContent(), /ikke ens/);
  await expectAccessible(t, page, 'the change-password page with two different passwords');

  t.same(consoleErrors, [], 'no console errors');
});
