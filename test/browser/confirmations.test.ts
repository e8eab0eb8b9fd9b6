import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import t, { type Test } from 'tap';
import { system } from '../../src/lib/principal.ts';
import { agreementInput, meetingInput } from '../../src/modules/agreements/agreements.schemas.ts';
import { actorInput } from '../factories.ts';
import { expectAccessible, startBrowserSession } from './browser.ts';

/**
 * Destructive and final actions ask first, on a page that works with the keyboard and without
 * JavaScript and that axe finds clean; an ended agreement is reopened with a choice about its open
 * action items (issue 19, point 1).
 */

const PASSWORD = 'en lang adgangskode';

async function seed(app: FastifyInstance) {
  const { accounts, actors, agreements } = app.services;
  const admin = await accounts.createUser(
    system,
    { email: 'a@kk.dk', name: 'Admin', password: PASSWORD, role: 'admin', municipalityCode: 101 },
    { system: true },
  );
  await accounts.createUser(
    system,
    { email: 'karin@kk.dk', name: 'Karin Koordinator', password: PASSWORD, role: 'coordinator', municipalityCode: 101 },
    { system: true },
  );
  const p = { userId: admin.id, municipalityCode: 101, role: 'admin' as const };
  const actor = await actors.register(
    p,
    actorInput({
      name: 'Natcaféen på Vesterbro',
      contacts: [
        { name: 'Mette Hansen', role: 'Formand', email: 'mette@example.dk', phone: '+45 12 34 56 78' },
        { name: 'Jonas Berg', role: 'Kasserer', email: 'jonas@example.dk', phone: null },
      ],
    }),
  );
  const agreement = async (title: string) => {
    const a = await agreements.create(
      p,
      agreementInput.parse({ title, kind: 'formal', actorIds: [actor.id], startsOn: '2026-01-01', status: 'active' }),
    );
    await agreements.logMeeting(
      p,
      a.id,
      meetingInput.parse({ heldOn: '2026-02-01', actionItems: [{ text: 'Ny folder' }, { text: 'Flere frivillige' }] }),
    );
    return a.id;
  };
  return { actor, withJs: await agreement('Nattevagter'), withoutJs: await agreement('Værestedet') };
}

async function logIn(page: Page) {
  await page.goto('/login');
  await page.getByLabel('E-mail (skal udfyldes)').fill('karin@kk.dk');
  await page.getByLabel('Adgangskode (skal udfyldes)').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.waitForURL((u) => u.pathname === '/');
}

/** Tabs from the top of the page to the named control; fails if the keyboard never gets there. */
async function tabTo(t: Test, page: Page, name: string) {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    const text = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
    if (text === name) return;
  }
  t.fail(`the keyboard never reaches "${name}"`);
}

/** The names in the actor page's contact table. */
const contacts = (page: Page) =>
  page.locator('section[aria-labelledby=h-contacts] tbody tr td:first-child').allTextContents();

const openItems = async (app: FastifyInstance, agreementId: number) =>
  Number(
    (
      await app.database.rows<{ n: number }>(
        sql`select count(*)::int as n from action_items where agreement_id = ${agreementId} and done_at is null`,
      )
    )[0]?.n,
  );

t.test(
  'with JavaScript and the keyboard: erasing a contact, ending and reopening an agreement ask first',
  async (t) => {
    const { app, page, consoleErrors } = await startBrowserSession(t);
    const { actor, withJs } = await seed(app);
    await logIn(page);

    // Slet: the question, then Fortryd by keyboard leaves the contact alone.
    await page.goto(`/actors/${actor.id}`);
    await page.getByRole('button', { name: 'Slet Mette Hansen' }).click();
    await page.waitForSelector('h1 >> text=Slet kontaktpersonen Mette Hansen?');
    await expectAccessible(t, page, 'the confirmation of erasing a contact');
    t.match(
      await page.locator('#confirm-consequences').textContent(),
      /kan ikke hentes frem igen/,
      'it says it is for good',
    );
    await page.keyboard.press('Home');
    await tabTo(t, page, 'Fortryd');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === `/actors/${actor.id}`);
    t.ok((await contacts(page)).includes('Mette Hansen'), 'Fortryd: the contact is still there');

    // Then yes, by keyboard.
    await page.getByRole('button', { name: 'Slet Mette Hansen' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('h1 >> text=Slet kontaktpersonen Mette Hansen?');
    await tabTo(t, page, 'Ja, slet kontaktpersonen');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === `/actors/${actor.id}`);
    t.notOk((await contacts(page)).includes('Mette Hansen'), 'yes: the contact is deleted');
    t.ok((await contacts(page)).includes('Jonas Berg'), 'and only that one');

    // Afslut aftalen.
    await page.goto(`/agreements/${withJs}`);
    await page.getByRole('button', { name: 'Afslut aftalen' }).click();
    await page.waitForSelector('h1 >> text=Afslut aftalen »Nattevagter«?');
    t.match(await page.locator('#confirm-consequences').textContent(), /Aftalens 2 åbne handlepunkter forbliver åbne/);
    await expectAccessible(t, page, 'the confirmation of ending an agreement');
    await page.getByRole('button', { name: 'Ja, afslut aftalen' }).click();
    await page.waitForSelector('h1 >> text=Afsluttet');

    // Genåbn aftalen, closing the open items: the radio group by keyboard.
    await page.getByRole('button', { name: 'Genåbn aftalen' }).click();
    await page.waitForSelector('h1 >> text=Genåbn aftalen »Nattevagter«?');
    await expectAccessible(t, page, 'the confirmation of reopening an agreement');
    const group = page.getByRole('group', { name: 'Hvad skal der ske med de åbne handlepunkter?' });
    t.ok(await group.getByRole('radio', { name: 'Før dem videre' }).isChecked(), 'carrying them over is the default');
    await group.getByRole('radio', { name: 'Før dem videre' }).focus();
    await page.keyboard.press('ArrowDown');
    t.ok(await group.getByRole('radio', { name: 'Luk dem' }).isChecked(), 'the arrow key chooses closing them');
    await tabTo(t, page, 'Ja, genåbn aftalen');
    await page.keyboard.press('Enter');
    await page.waitForSelector('h1 >> text=Aktiv');
    t.equal(await openItems(app, withJs), 0, 'the open items were closed');
    t.same(consoleErrors, [], 'no console errors');
  },
);

t.test('without JavaScript: ending and reopening an agreement, carrying its items over', async (t) => {
  const { app, browser, base } = await startBrowserSession(t);
  const { actor, withoutJs } = await seed(app);
  const context = await browser.newContext({ baseURL: base, locale: 'da-DK', javaScriptEnabled: false });
  t.teardown(() => context.close());
  const page = await context.newPage();
  await logIn(page);

  await page.goto(`/agreements/${withoutJs}`);
  await page.getByRole('button', { name: 'Afslut aftalen' }).click();
  await page.waitForSelector('h1 >> text=Afslut aftalen »Værestedet«?');
  t.equal(
    await page.evaluate(() => typeof (window as unknown as { htmx?: unknown }).htmx),
    'undefined',
    'JavaScript is off: htmx never ran',
  );
  await page.getByRole('link', { name: 'Fortryd' }).click();
  await page.waitForURL((u) => u.pathname === `/agreements/${withoutJs}`);
  t.match(await page.locator('h1').textContent(), /Aktiv/, 'Fortryd: still active');

  await page.getByRole('button', { name: 'Afslut aftalen' }).click();
  await page.getByRole('button', { name: 'Ja, afslut aftalen' }).click();
  await page.waitForSelector('h1 >> text=Afsluttet');
  await page.getByRole('button', { name: 'Genåbn aftalen' }).click();
  await page.waitForSelector('h1 >> text=Genåbn aftalen »Værestedet«?');
  await page.getByRole('button', { name: 'Ja, genåbn aftalen' }).click();
  await page.waitForSelector('h1 >> text=Aktiv');
  t.equal(await openItems(app, withoutJs), 2, 'the open items were carried over');

  // Anonymising a contact asks too.
  await page.goto(`/actors/${actor.id}`);
  await page.getByRole('button', { name: 'Anonymisér Jonas Berg' }).click();
  await page.waitForSelector('h1 >> text=Anonymisér kontaktpersonen Jonas Berg?');
  await page.getByRole('button', { name: 'Ja, anonymisér kontaktpersonen' }).click();
  await page.waitForURL((u) => u.pathname === `/actors/${actor.id}`);
  t.notOk((await contacts(page)).includes('Jonas Berg'), 'anonymised');
  t.ok((await contacts(page)).includes('Anonymiseret kontaktperson'), 'kept without his details');
});
