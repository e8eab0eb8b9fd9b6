import type { Page } from 'playwright-core';
import t, { type Test } from 'tap';
import { addDays, danishDate } from '../../src/lib/dates.ts';
import { system } from '../../src/lib/principal.ts';
import { actorInput, validCvr } from '../factories.ts';
import { expectAccessible, startBrowserSession } from './browser.ts';

/**
 * Issue 21, the public pages: a citizen with no account finds a municipality's § 18 round by
 * keyboard alone, reads its criteria and gets to "Søg om støtte"; a decided round shows its
 * distribution list. axe on every page, at desktop width and at 390 px, and the pages without
 * JavaScript.
 */

/** Presses Tab until the focused element's text (or label) matches, as a keyboard user would. */
async function tabTo(t: Test, page: Page, name: RegExp): Promise<void> {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    const text = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return el ? `${el.getAttribute('aria-label') ?? ''} ${el.innerText ?? ''}` : '';
    });
    if (name.test(text)) {
      t.ok(true, `${name} is reached with Tab`);
      return;
    }
  }
  throw new Error(`Tab never reached ${name}`);
}

/** How much wider than the viewport the page is (0: it fits). */
const overflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

t.test('a citizen finds a round, its criteria and the way to apply, by keyboard, axe clean', async (t) => {
  const { app, page, browser, base, consoleErrors } = await startBrowserSession(t, {
    env: { ACCESSIBILITY_CONTACT: 'web@kk.example.dk' },
  });
  const { accounts, actors, grants, targetGroups } = app.services;
  const admin = await accounts.createUser(
    system,
    { email: 'a@kk.dk', name: 'Admin Adminsen', password: 'en lang adgangskode', role: 'admin', municipalityCode: 101 },
    { system: true },
  );
  const principal = { userId: admin.id, municipalityCode: 101, role: 'admin' as const };
  const tree = await targetGroups.tree();
  const stof = tree.find((g) => g.nameDa === 'Stofmisbrug')?.id ?? 0;
  const hjem = tree.find((g) => g.nameDa === 'Hjemløshed')?.id ?? 0;
  const today = danishDate();
  const open = await grants.createRound(principal, {
    year: 2026,
    name: 'Frivillighedspuljen',
    budgetOre: 75_000_000,
    applicationsOpenOn: addDays(today, -10),
    applicationsCloseOn: addDays(today, 30),
    decisionOn: addDays(today, 60),
    description: 'Puljen støtter frivillige fællesskaber for voksne i udsatte positioner.\nSøg senest på fristen.',
    targetGroupIds: [stof, hjem],
    criteria: [
      { title: 'Når ud til de mest udsatte', description: 'Beskriv, hvem I møder, og hvordan.' },
      { title: 'Frivillige bærer arbejdet' },
    ],
  });
  await grants.advanceRound(principal, open.id, open.version);
  const decided = await grants.createRound(principal, {
    year: 2025,
    name: '§ 18-puljen 2025 med et meget langt navn, der skal kunne ombrydes på en smal skærm',
    budgetOre: 40_000_000,
    applicationsOpenOn: '2025-01-06',
    applicationsCloseOn: '2025-02-28',
    decisionOn: '2025-03-27',
    criteria: [{ title: 'Lokal forankring' }],
  });
  const trappen = await actors.register(principal, actorInput({ name: 'Værestedet Trappen', cvr: validCvr(5150) }));
  const naboer = await actors.register(
    principal,
    actorInput({ name: 'Naboerne i Mjølnerparken', orgType: 'informal_group', contacts: [{ name: 'Karin Kontakt' }] }),
  );
  for (const [actor, title] of [
    [trappen, 'Aftenåbent værested for hjemløse med et langt projektnavn uden mellemrum-i-ordene-overhovedet'],
    [naboer, 'Fællesspisning'],
  ] as const) {
    const g = await grants.apply(principal, {
      roundId: decided.id,
      actorId: actor.id,
      title,
      purpose: 'Et sted at være om aftenen',
      kind: 'money',
      requestedOre: 8_000_000,
    });
    await grants.transition(principal, g.id, {
      to: 'approved',
      version: g.version,
      awardedOre: 6_000_000,
      targetGroupId: stof,
    });
  }
  for (let r = await grants.getRound(decided.id); r.status !== 'decided'; r = await grants.getRound(decided.id))
    await grants.advanceRound(principal, decided.id, r.version);

  // ---- from the index to the round, by keyboard only, signed out
  await page.goto('/public');
  t.equal(await page.locator('h1').textContent(), '§ 18-puljer i kommunerne');
  await expectAccessible(t, page, 'the public index');
  await tabTo(t, page, /København Kommune/);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/public\/municipalities\/101\/rounds$/);
  t.match(await page.locator('#phase-open').textContent(), 'Åbne for ansøgninger');
  t.match(await page.locator('#phase-decided').textContent(), 'Afgjorte puljer');
  await expectAccessible(t, page, 'a municipality’s rounds');
  await tabTo(t, page, /Frivillighedspuljen/);
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`/public/rounds/${open.id}$`));
  const main = (await page.locator('main').textContent()) ?? '';
  t.match(main, /Puljen støtter frivillige fællesskaber/);
  t.match(main, /Stofmisbrug/);
  t.match(main, /Når ud til de mest udsatte\s*Beskriv, hvem I møder, og hvordan\./);
  t.match(main, /750\.000,00 kr\./);
  t.equal(await page.locator('nav.samspil-nav').count(), 0, 'no staff menu');
  await expectAccessible(t, page, 'an open round');
  await tabTo(t, page, /Søg om støtte/);
  t.equal(
    await page.evaluate(() => document.activeElement?.getAttribute('href')),
    `/public/rounds/${open.id}/apply`,
    'the way to apply is a link reached by keyboard',
  );

  // ---- the language switch, by keyboard
  await page.keyboard.press('Shift+Tab');
  await page.goto(`/public/rounds/${open.id}`);
  await tabTo(t, page, /^\s*English\s*$/);
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`/public/rounds/${open.id}$`));
  t.equal(await page.locator('html').getAttribute('lang'), 'en');
  t.match(await page.locator('main').textContent(), /Apply for support/);
  await expectAccessible(t, page, 'an open round in English');
  await page.getByRole('link', { name: 'Dansk' }).click();
  await page.waitForURL(new RegExp(`/public/rounds/${open.id}$`));

  // ---- a decided round: its distribution list, no way to apply, no person
  await page.goto(`/public/rounds/${decided.id}`);
  const table = (await page.locator('#cap-distribution').textContent()) ?? '';
  t.match(table, '2 bevillinger, i alt 120.000,00 kr.');
  t.match(await page.locator('table').textContent(), /Naboerne i Mjølnerparken[\s\S]*Fællesspisning/);
  t.notMatch(await page.locator('body').textContent(), /Karin|Admin Adminsen/, 'no person is named');
  t.equal(await page.getByRole('link', { name: 'Søg om støtte' }).count(), 0);
  await expectAccessible(t, page, 'a decided round with its distribution list');

  await page.goto('/accessibility');
  t.match(await page.locator('main').textContent(), /web@kk\.example\.dk/);
  await expectAccessible(t, page, 'the accessibility statement');

  // ---- on a 390 px phone: nothing wider than the screen, axe clean
  const phone = await browser.newContext({ baseURL: base, locale: 'da-DK', viewport: { width: 390, height: 844 } });
  t.teardown(() => phone.close());
  const small = await phone.newPage();
  for (const url of [
    '/public',
    '/public/municipalities/101/rounds',
    `/public/rounds/${open.id}`,
    `/public/rounds/${decided.id}`,
    '/accessibility',
  ]) {
    await small.goto(url);
    t.equal(await overflow(small), 0, `${url} fits 390 px`);
    await expectAccessible(t, small, `${url} at 390 px`);
  }

  // ---- without JavaScript: the same pages, the same way to apply
  const plain = await browser.newContext({ baseURL: base, locale: 'da-DK', javaScriptEnabled: false });
  t.teardown(() => plain.close());
  const noScript = await plain.newPage();
  await noScript.goto(`/public/rounds/${open.id}`);
  t.equal(
    await noScript.getByRole('link', { name: 'Søg om støtte' }).getAttribute('href'),
    `/public/rounds/${open.id}/apply`,
  );
  await noScript.getByRole('link', { name: /Alle puljer i København Kommune/ }).click();
  await noScript.waitForURL(/\/public\/municipalities\/101\/rounds$/);
  t.match(await noScript.locator('main').textContent(), /Frivillighedspuljen[\s\S]*§ 18-puljen 2025/);

  t.same(consoleErrors, [], 'no console errors, CSP violations or missing files');
});
