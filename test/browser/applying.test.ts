import type { Page } from 'playwright-core';
import t from 'tap';
import { addDays, danishDate } from '../../src/lib/dates.ts';
import { system } from '../../src/lib/principal.ts';
import { pdf } from '../modules/applications/files.ts';
import { startSmtpServer, until } from '../modules/mail/smtp.ts';
import { errorSummaryFocused, expectAccessible, flashSays, startBrowserSession } from './browser.ts';

/**
 * Issue 21, done when: applying as an informal group (no CVR) without JavaScript, and as an
 * association with a document with JavaScript, with the keyboard only; axe on every page; the
 * receipt arrives at a real SMTP server in the process; the link shows the status.
 */
async function typeInto(page: Page, label: string, text: string) {
  await page.getByLabel(label, { exact: true }).focus();
  await page.keyboard.type(text);
}

async function press(page: Page, label: string, key: string) {
  await page.getByLabel(label, { exact: true }).focus();
  await page.keyboard.press(key);
}

/** The parts of the form both kinds of applicant fill in the same way. */
async function fillCommon(page: Page, email: string) {
  await typeInto(page, 'Navn', 'Karen Kontakt');
  await typeInto(page, 'E-mail (skal udfyldes)', email);
  await typeInto(page, 'Telefon', '12345678');
  await typeInto(page, 'Projektets titel', 'Fællesspisning');
  await typeInto(page, 'Formål: hvad vil I gøre, og for hvem?', 'Vi spiser sammen hver torsdag.');
  await typeInto(page, 'Periode fra', '1.3.2027');
  await typeInto(page, 'Periode til', '31.12.2027');
  // A select is chosen by typing the start of the option, as a keyboard user does.
  await page.getByLabel('Målgruppe 1', { exact: true }).focus();
  await page.keyboard.type('Hjeml');
  await typeInto(page, 'Forventet antal deltagere 1', '20');
  await press(page, 'København', 'Space');
  await typeInto(page, 'Udgift 1', 'Råvarer');
  await typeInto(page, 'Beløb (kr.) 1', '10.000');
  await typeInto(page, 'Ansøgt beløb (kr.)', '10.000');
  await typeInto(page, 'Registreringsnummer', '1234');
  await typeInto(page, 'Kontonummer', '1234567890');
}

t.test('applying with the keyboard, without JavaScript and with it', async (t) => {
  const smtp = await startSmtpServer(t);
  const { app, browser, base, page, consoleErrors } = await startBrowserSession(t, {
    env: { SMTP_URL: smtp.url, MAIL_POLL_MS: '50', PUBLIC_URL: 'https://samspil.test' },
  });
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
  const today = danishDate();
  const financeUser = { userId: finance.id, municipalityCode: 101, role: 'finance' as const, name: 'Finn Finans' };
  const planned = await app.services.grants.createRound(financeUser, {
    year: Number(today.slice(0, 4)),
    name: 'Puljen for fællesskaber',
    budgetOre: 50_000_000,
    applicationsOpenOn: addDays(today, -1),
    applicationsCloseOn: addDays(today, 30),
  });
  // Finance opens it: a round takes applications only when open and within its window.
  const round = await app.services.grants.advanceRound(financeUser, planned.id, planned.version);
  const formUrl = `/public/rounds/${round.id}/apply`;
  page.setDefaultTimeout(15_000);

  t.test('an informal group without CVR, without JavaScript', async (t) => {
    const context = await browser.newContext({ baseURL: base, locale: 'da-DK', javaScriptEnabled: false });
    const noJs = await context.newPage();
    noJs.setDefaultTimeout(15_000);
    await noJs.goto(formUrl);
    t.match(await noJs.locator('h1').textContent(), /Puljen for fællesskaber/);

    await press(noJs, 'Uformel gruppe uden CVR-nummer', 'Space');
    await typeInto(noJs, 'Gruppens navn', 'Naboerne på Nørrebro');
    await fillCommon(noJs, 'naboerne@example.dk');
    // Sent without the responsible person or the consent: the errors, summed up and beside their fields.
    await noJs.getByRole('button', { name: 'Send ansøgning' }).focus();
    await noJs.keyboard.press('Enter');
    await errorSummaryFocused(noJs);
    t.ok(await noJs.locator('#field-responsibleName-error').isVisible(), 'the responsible person is asked for');

    await typeInto(noJs, 'Ansvarlig person', 'Rasmus Ansvarlig');
    await press(noJs, 'Jeg har læst teksten og giver samtykke til, at oplysningerne behandles som beskrevet.', 'Space');
    await noJs.getByRole('button', { name: 'Send ansøgning' }).focus();
    await noJs.keyboard.press('Enter');
    await noJs.waitForURL(/\/public\/applications\/[\w-]+$/);
    t.match(await noJs.locator('#application-status').textContent(), /Sendt/);
    t.match(await noJs.locator('#application-content').textContent(), /Naboerne på Nørrebro/);
    await context.close();
  });

  t.test('an association with a document, with JavaScript: a draft, then sent from the link', async (t) => {
    await page.goto(formUrl);
    // axe needs JavaScript: the pages are checked here, as the same server-rendered HTML.
    await expectAccessible(t, page, 'the application form');
    await press(page, 'Forening eller anden organisation med CVR-nummer', 'Space');
    await typeInto(page, 'Organisationens navn', 'Foreningen Fællesskab');
    await typeInto(page, 'CVR-nummer', '12345674');
    await fillCommon(page, 'forening@example.dk');
    await page.getByRole('button', { name: 'Gem kladde' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/public\/applications\/[\w-]+$/);
    t.match(await page.locator('#application-status').textContent(), /Kladde/);
    await expectAccessible(t, page, 'the draft behind its link');

    // The document: the file is chosen through the browser's own dialogue, the rest by keyboard.
    await page.getByLabel('Slags dokument', { exact: true }).focus();
    await page.keyboard.type('Vedt');
    await page
      .getByLabel('Fil', { exact: true })
      .setInputFiles({ name: 'vedtaegter.pdf', mimeType: 'application/pdf', buffer: pdf(50_000) });
    await page.getByRole('button', { name: 'Vedhæft dokument' }).focus();
    await page.keyboard.press('Enter');
    await flashSays(page, /vedhæftet/);
    t.ok(await page.getByRole('link', { name: 'vedtaegter.pdf' }).isVisible(), 'the document is listed');
    await expectAccessible(t, page, 'the draft with a document');

    // Sent without consent: refused, the errors summed up and beside the field.
    await page.getByRole('button', { name: 'Send ansøgning' }).focus();
    await page.keyboard.press('Enter');
    await errorSummaryFocused(page);
    t.ok(await page.locator('#field-consent-error').isVisible(), 'consent is asked for');
    await expectAccessible(t, page, 'the application with errors');
    await press(page, 'Jeg har læst teksten og giver samtykke til, at oplysningerne behandles som beskrevet.', 'Space');
    await page.getByRole('button', { name: 'Send ansøgning' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /Sendt/.test(document.querySelector('#application-status')?.textContent ?? ''));
    await expectAccessible(t, page, 'the sent application');

    await until(() => smtp.received.filter((m) => /^Kvittering/.test(m.subject ?? '')).length >= 2);
    const receipt = smtp.received.find(
      (m) => m.to && 'text' in m.to && m.to.text === 'forening@example.dk' && /^Kvittering/.test(m.subject ?? ''),
    );
    const link = /https:\/\/samspil\.test(\/public\/applications\/[\w-]+)/.exec(receipt?.text ?? '')?.[1];
    t.ok(link, 'the receipt holds the link');
    const fresh = await (await browser.newContext({ baseURL: base, locale: 'da-DK' })).newPage();
    await fresh.goto(link as string);
    t.match(await fresh.locator('#application-status').textContent(), /Sendt/, 'the link shows the status');
    t.ok(await fresh.getByRole('link', { name: 'vedtaegter.pdf' }).isVisible());
    t.same(consoleErrors, [], 'no console errors');
  });
});
