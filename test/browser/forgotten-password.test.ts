import type { Page } from 'playwright-core';
import t from 'tap';
import { system } from '../../src/lib/principal.ts';
import { startSmtpServer, until } from '../modules/mail/smtp.ts';
import { expectAccessible, flashSays, startBrowserSession } from './browser.ts';

/**
 * A forgotten password in the browser (issue 20), with the keyboard only: the link on the sign-in
 * page, the address typed, the link taken from the mail as it arrives at a real SMTP server in the
 * process, a new password chosen; the session from before is ended, the new password signs in, and
 * the used link says so. axe on every page.
 */
const EMAIL = 'glemsom@kk.dk';
const OLD = 'den gamle adgangskode';
const NEW = 'en helt ny adgangskode';

/** Tab until the focused element is the link or button named `name` (the page order, as a user meets it). */
async function tabTo(page: Page, name: string) {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.innerText?.trim());
    if (focused === name) return;
  }
  throw new Error(`"${name}" is not reached with Tab`);
}

async function signIn(page: Page, password: string) {
  await page.goto('/login');
  await page.getByLabel('E-mail (skal udfyldes)', { exact: true }).focus();
  await page.keyboard.type(EMAIL);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
}

t.test('a forgotten password: a link by mail, a new password, the old session gone', async (t) => {
  const smtp = await startSmtpServer(t);
  const { app, browser, base, page, consoleErrors } = await startBrowserSession(t, {
    env: { SMTP_URL: smtp.url, MAIL_POLL_MS: '50', PUBLIC_URL: 'https://samspil.test' },
  });
  await app.services.accounts.createUser(
    system,
    { email: EMAIL, name: 'Gitte Glemsom', password: OLD, role: 'coordinator', municipalityCode: 101 },
    { system: true },
  );
  // Signed in elsewhere before: that session must end with the reset.
  const elsewhere = await (await browser.newContext({ baseURL: base, locale: 'da-DK' })).newPage();
  await signIn(elsewhere, OLD);
  await elsewhere.waitForURL((u) => u.pathname === '/');

  await page.goto('/login');
  await tabTo(page, 'Glemt din adgangskode?');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/password\/forgotten$/);
  t.equal(await page.locator('h1').textContent(), 'Glemt adgangskode');
  await expectAccessible(t, page, 'the forgotten-password page');

  // An address that is no address: the error beside the field.
  await page.getByLabel('E-mail (skal udfyldes)', { exact: true }).focus();
  await page.keyboard.type('glemsom');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#field-email-error');
  await expectAccessible(t, page, 'the forgotten-password page with an error');

  await page.getByLabel('E-mail (skal udfyldes)', { exact: true }).fill('');
  await page.keyboard.type(EMAIL);
  await page.keyboard.press('Enter');
  await flashSays(page, /Hvis adressen hører til en bruger/);
  t.match(await page.locator('#flash[role=status]').textContent(), /Hvis adressen hører til en bruger i Samspil/);
  await expectAccessible(t, page, 'the forgotten-password page after asking');

  await until(() => smtp.received.length >= 1);
  const mail = smtp.received[0];
  t.equal(mail?.subject, 'Vælg en ny adgangskode til Samspil');
  const link = /https:\/\/samspil\.test(\/password\/reset\?token=[\w%-]+)/.exec(mail?.text ?? '')?.[1];
  t.ok(link, 'the mail holds the link');
  t.ok(typeof mail?.html === 'string' && mail.html.includes(`href="https://samspil.test${link}"`), 'in the HTML too');

  await page.goto(link as string);
  t.equal(await page.locator('h1').textContent(), 'Vælg ny adgangskode');
  await expectAccessible(t, page, 'the choose-a-new-password page');
  await page.getByLabel('Ny adgangskode (skal udfyldes)', { exact: true }).focus();
  await page.keyboard.type(NEW);
  await page.keyboard.press('Tab');
  await page.keyboard.type('noget andet');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#field-repeatPassword-error');
  await expectAccessible(t, page, 'the choose-a-new-password page with two different passwords');

  await page.getByLabel('Ny adgangskode (skal udfyldes)', { exact: true }).focus();
  await page.keyboard.type(NEW);
  await page.keyboard.press('Tab');
  await page.keyboard.type(NEW);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/login$/);
  await flashSays(page, /Din nye adgangskode er gemt/);
  t.match(await page.locator('#flash[role=status]').textContent(), /Din nye adgangskode er gemt/);
  await expectAccessible(t, page, 'the sign-in page after the reset');

  await elsewhere.goto('/account');
  t.equal(new URL(elsewhere.url()).pathname, '/login', 'the session from before is ended');

  await signIn(page, OLD);
  await page.waitForSelector('[role="alert"], .alert-error');
  t.equal(new URL(page.url()).pathname, '/login', 'the old password no longer signs in');
  await signIn(page, NEW);
  await page.waitForURL((u) => u.pathname === '/');
  t.pass('the new password signs in');

  await page.goto(link as string);
  t.match(await page.getByRole('alert').textContent(), /Linket er udløbet eller allerede brugt/);
  t.equal(await page.locator('input[name="newPassword"]').count(), 0, 'no form for a used link');
  await expectAccessible(t, page, 'the page of a used link');
  await tabTo(page, 'Bed om et nyt link');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/password\/forgotten$/);
  t.pass('and it leads to asking again');

  await until(() => smtp.received.length >= 2);
  t.equal(smtp.received[1]?.subject, 'Din adgangskode til Samspil er ændret', 'told by mail of the change');
  t.same(consoleErrors, [], 'no console errors');
});
