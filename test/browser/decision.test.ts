import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import t, { type Test } from 'tap';
import { addDays, danishDate } from '../../src/lib/dates.ts';
import { system } from '../../src/lib/principal.ts';
import { actorInput } from '../factories.ts';
import { associationForm, tokenFrom, visitor } from '../modules/applications/fixture.ts';
import { startSmtpServer, until } from '../modules/mail/smtp.ts';
import { errorSummaryFocused, expectAccessible, startBrowserSession } from './browser.ts';

/**
 * Issue 21, deciding: finance decides an online application with the keyboard only (a refused form
 * first, then the confirm step), the decision mail arrives at a real SMTP server, and its fresh link
 * shows the decision; axe on every page.
 */
async function typeInto(page: Page, label: string, text: string) {
  await page.getByLabel(label, { exact: true }).focus();
  await page.keyboard.type(text);
}

/** Tabs from where the focus is to the named control; fails if the keyboard never gets there. */
async function tabTo(t: Test, page: Page, name: string) {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    const text = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
    if (text === name) return;
  }
  t.fail(`the keyboard never reaches "${name}"`);
}

t.test('finance decides with the keyboard; the mail arrives and its link shows the decision', async (t) => {
  const smtp = await startSmtpServer(t);
  const { app, page, consoleErrors } = await startBrowserSession(t, {
    env: { SMTP_URL: smtp.url, MAIL_POLL_MS: '50', PUBLIC_URL: 'https://samspil.test' },
  });
  page.setDefaultTimeout(15_000);
  const finance = await app.services.accounts.createUser(
    system,
    {
      email: 'finans@kk.dk',
      name: 'Finn Finans',
      password: 'en lang adgangskode',
      role: 'finance',
      municipalityCode: 101,
    },
    { system: true },
  );
  const principal = { userId: finance.id, municipalityCode: 101, role: 'finance' as const, name: 'Finn Finans' };
  const today = danishDate();
  const planned = await app.services.grants.createRound(principal, {
    year: Number(today.slice(0, 4)),
    name: 'Puljen for fællesskaber',
    budgetOre: 50_000_000,
    applicationsOpenOn: addDays(today, -1),
    applicationsCloseOn: addDays(today, 30),
  });
  const round = await app.services.grants.advanceRound(principal, planned.id, planned.version);
  const groups = (await app.services.targetGroups.tree()).filter((g) => g.municipalityCode === null);
  const homeless = groups.find((g) => g.nameDa === 'Hjemløshed')?.id as number;

  // The applicant applies through the public form; staff have matched the actor (the inbox's job).
  const formUrl = `/public/rounds/${round.id}/apply`;
  const v = await visitor(app, formUrl);
  const sent = await v.post(formUrl, associationForm(homeless, { contactEmail: 'ansoeger@forening.dk' }));
  t.equal(sent.statusCode, 303);
  const receiptToken = tokenFrom(sent.headers.location);
  const actor = await app.services.actors.register(
    { userId: finance.id, municipalityCode: 101, role: 'admin' as const },
    actorInput({ name: 'Foreningen Fællesskab' }),
  );
  const [application] = await app.database.rows<{ id: number }>(
    sql`update applications set actor_id = ${actor.id} returning id`,
  );
  const id = Number(application?.id);
  await until(() => smtp.received.length >= 1);

  await page.goto('/login');
  await typeInto(page, 'E-mail (skal udfyldes)', 'finans@kk.dk');
  await typeInto(page, 'Adgangskode (skal udfyldes)', 'en lang adgangskode');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.pathname === '/');

  await page.goto(`/applications/${id}/decision`);
  t.match(await page.locator('h1').textContent(), /Afgørelse: »Fællesspisning for hjemløse«/);
  await expectAccessible(t, page, 'the decision page');

  // Sent without a choice, meeting or reasons: the error summary, and axe on it.
  await page.getByLabel('Bevil ansøgningen').focus();
  await tabTo(t, page, 'Registrér afgørelsen');
  await page.keyboard.press('Enter');
  await errorSummaryFocused(page);
  t.match(await page.locator('#error-summary').textContent(), /Vælg, om ansøgningen bevilges eller afslås/);
  await expectAccessible(t, page, 'the decision form with its errors');

  // Approve: the radio by Space, the fields typed; the amount and its split are prefilled.
  await page.getByLabel('Bevil ansøgningen').focus();
  await page.keyboard.press('Space');
  await typeInto(page, 'Mødet, der traf afgørelsen (skal udfyldes)', 'Socialudvalget 12. marts 2027');
  await typeInto(page, 'Begrundelse (skal udfyldes)', 'Projektet rammer puljens prioriterede målgrupper.');
  t.equal(await page.getByLabel('Bevilget beløb i kroner', { exact: true }).inputValue(), '24000,50');
  await page.getByLabel('Bevilget beløb i kroner', { exact: true }).focus();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('20.000');
  // The split still holds 24.000,50: refused, and the summary's link leads to the split's fieldset,
  // which its error describes.
  await tabTo(t, page, 'Registrér afgørelsen');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#error-summary a[href="#field-lines"]');
  await page.locator('#error-summary a[href="#field-lines"]').focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement?.id === 'field-lines');
  const described = (await page.locator('#field-lines').getAttribute('aria-describedby')) ?? '';
  t.match(
    await page.locator(`#${described.split(' ').pop()}`).textContent(),
    /skal give præcis det bevilgede beløb/,
    'the fieldset is described by the error',
  );
  t.equal(await page.locator('#field-lines > legend').textContent(), 'Fordeling på målgrupper');
  await expectAccessible(t, page, 'the split that does not add up');
  await page.getByLabel('Beløb til Hjemløshed (kr.)').focus();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('20.000');
  await tabTo(t, page, 'Registrér afgørelsen');
  await page.keyboard.press('Enter');
  await page.waitForSelector('h1 >> text=Bevil 20.000,00 kr. til »Fællesspisning for hjemløse«?');
  await expectAccessible(t, page, 'the confirmation of the decision');
  t.match(await page.locator('#confirm-consequences').textContent(), /Puljen for fællesskaber/);

  await page.keyboard.press('Home');
  await tabTo(t, page, 'Ja, bevil ansøgningen');
  await page.keyboard.press('Enter');
  // The confirmation page has the same address: the decided page is known by its decision.
  await page.waitForSelector('#decision');
  await page.waitForSelector('#flash >> text=er bevilget med');
  t.match(await page.locator('#flash').textContent(), /er bevilget med 20\.000,00 kr\./);
  t.match(await page.locator('#decision').textContent(), /Socialudvalget 12\. marts 2027/);
  await expectAccessible(t, page, 'the decided application');

  const [grant] = await app.database.rows<{ awarded_ore: number; status: string }>(
    sql`select g.awarded_ore, g.status from grants g join applications a on a.grant_id = g.id where a.id = ${id}`,
  );
  t.match(grant, { status: 'approved' }, 'the approval is a grant');
  t.equal(Number(grant?.awarded_ore), 2_000_000);
  await page.goto(`/grant-rounds/${round.id}`);
  t.match(await page.locator('main').textContent(), /20\.000,00 kr\./, 'that the round overview counts');

  await until(() => smtp.received.length >= 2);
  const mail = smtp.received[1];
  t.equal(mail?.subject, 'Din ansøgning »Fællesspisning for hjemløse« er bevilget');
  t.match(mail?.text ?? '', /Projektet rammer puljens prioriterede målgrupper\./);
  const link = /https:\/\/samspil\.test(\/public\/applications\/[\w-]+)/.exec(mail?.text ?? '')?.[1] as string;
  t.ok(link && !link.endsWith(receiptToken), 'a fresh link');

  const applicant = await page
    .context()
    .browser()
    ?.newContext({ baseURL: new URL(page.url()).origin, locale: 'da-DK' });
  const applicantPage = await applicant?.newPage();
  if (!applicantPage) throw new Error('no page');
  await applicantPage.goto(link);
  t.match(await applicantPage.locator('#application-decision').textContent(), /bevilget med 20\.000,00 kr\./);
  t.match(await applicantPage.locator('#application-decision').textContent(), /Socialudvalget 12\. marts 2027/);
  t.match(await applicantPage.locator('#application-status').textContent(), /Bevilget \d\d\.\d\d\.\d{4}/);
  await expectAccessible(t, applicantPage, 'the applicant’s page with the decision');
  t.same(consoleErrors, [], 'no console errors');
});
