import type { Page } from 'playwright-core';
import t from 'tap';
import { system } from '../../src/lib/principal.ts';
import { startSmtpServer, until } from '../modules/mail/smtp.ts';
import { expectAccessible, flashSays, startBrowserSession } from './browser.ts';

/**
 * A new user's welcome in the browser (issue 20, point 5): an admin creates the user without a
 * password, the welcome mail arrives at a real SMTP server in the process, its link lets the user
 * choose a password, and the user signs in with it; the used link says so. The admin sends a new
 * link through its confirm step. axe on every page.
 */
const ADMIN = 'anne@kk.dk';
const ADMIN_PASSWORD = 'annes lange adgangskode';
const NEW_USER = 'nanna.ny@kk.dk';
const CHOSEN = 'nannas egen lange kode';

async function signIn(page: Page, email: string, password: string) {
  await page.goto('/login');
  await page.getByLabel('E-mail (skal udfyldes)', { exact: true }).fill(email);
  await page.getByLabel('Adgangskode (skal udfyldes)', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log ind' }).click();
}

t.test('an admin creates a user; the welcome link sets the password; the user signs in', async (t) => {
  const smtp = await startSmtpServer(t);
  const { app, page, consoleErrors } = await startBrowserSession(t, {
    env: { SMTP_URL: smtp.url, MAIL_POLL_MS: '50', PUBLIC_URL: 'https://samspil.test' },
  });
  await app.services.accounts.createUser(
    system,
    { email: ADMIN, name: 'Anne Admin', password: ADMIN_PASSWORD, role: 'admin', municipalityCode: 101 },
    { system: true },
  );
  await signIn(page, ADMIN, ADMIN_PASSWORD);
  await page.waitForURL((u) => u.pathname === '/');

  await page.goto('/admin/users');
  t.equal(await page.locator('input[name="password"]').count(), 0, 'the admin types no password');
  t.match(await page.locator('#h-new-user + p').textContent(), /velkomstmail med et link/);
  await page.getByLabel('Navn (skal udfyldes)', { exact: true }).fill('Nanna Ny');
  await page.getByLabel('E-mail (skal udfyldes)', { exact: true }).fill(NEW_USER);
  await page.getByLabel('Rolle', { exact: true }).selectOption('viewer');
  await page.getByRole('button', { name: 'Opret bruger' }).focus();
  await page.keyboard.press('Enter');
  await flashSays(page, /Brugeren Nanna Ny er oprettet/);
  await expectAccessible(t, page, 'the user list after creating a user');

  await until(() => smtp.received.length >= 1);
  const mail = smtp.received[0];
  t.equal(mail?.to && 'text' in mail.to ? mail.to.text : '', NEW_USER, 'the welcome mail goes to the new user');
  t.equal(mail?.subject, 'Velkommen til Samspil');
  const link = /https:\/\/samspil\.test(\/password\/reset\?token=[\w%-]+)/.exec(mail?.text ?? '')?.[1] as string;
  t.ok(link, 'with the link');
  t.ok(typeof mail?.html === 'string' && mail.html.includes(`href="https://samspil.test${link}"`), 'in the HTML too');

  // The admin's edit page offers a new link, through the confirm step.
  await page.goto('/admin/users');
  await page.getByRole('link', { name: 'Ret Nanna Ny' }).click();
  await page.waitForURL(/\/admin\/users\/\d+\/edit$/);
  await expectAccessible(t, page, 'the edit-user page with the welcome link');
  await page.getByRole('button', { name: 'Send nyt velkomstlink' }).click();
  await page.waitForSelector('text=Send et nyt velkomstlink til Nanna Ny?');
  await expectAccessible(t, page, 'the confirm step of a new welcome link');
  await page.getByRole('button', { name: 'Ja, send linket' }).click();
  await flashSays(page, /Nanna Ny har fået et nyt velkomstlink/);
  await until(() => smtp.received.length >= 2);
  t.equal(smtp.received[1]?.subject, 'Velkommen til Samspil', 'a second welcome mail');

  await page.getByRole('button', { name: 'Log ud', exact: true }).click();
  await page.waitForURL(/\/login$/);
  await signIn(page, NEW_USER, CHOSEN);
  await page.waitForSelector('.alert-error');
  t.equal(new URL(page.url()).pathname, '/login', 'no password signs in before the link is used');

  // The first link still works (the second was not used): the user chooses a password.
  await page.goto(link);
  t.equal(await page.locator('h1').textContent(), 'Vælg din adgangskode');
  await expectAccessible(t, page, 'the welcome page');
  await page.getByLabel('Ny adgangskode (skal udfyldes)', { exact: true }).focus();
  await page.keyboard.type(CHOSEN);
  await page.keyboard.press('Tab');
  await page.keyboard.type(CHOSEN);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/login$/);
  await flashSays(page, /Din adgangskode er gemt/);
  await expectAccessible(t, page, 'the sign-in page after choosing a password');

  await signIn(page, NEW_USER, CHOSEN);
  await page.waitForURL((u) => u.pathname === '/');
  t.pass('the new user signs in with the chosen password');

  await page.goto(link);
  t.match(await page.getByRole('alert').textContent(), /Linket er udløbet eller allerede brugt/, 'used once');
  const second = /https:\/\/samspil\.test(\/password\/reset\?token=[\w%-]+)/.exec(smtp.received[1]?.text ?? '')?.[1];
  await page.goto(second as string);
  t.equal(await page.locator('input[name="newPassword"]').count(), 0, 'and the other welcome link died with it');
  t.same(consoleErrors, [], 'no console errors');
});
