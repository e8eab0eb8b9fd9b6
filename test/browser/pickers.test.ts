import type { Browser, Page } from 'playwright-core';
import t from 'tap';
import { system } from '../../src/lib/principal.ts';
import { actorInput } from '../factories.ts';
import { errorSummaryFocused, expectAccessible, startBrowserSession } from './browser.ts';

// Issue 19, point 10: municipalities, target groups and an agreement's actors are chosen with
// checkboxes (a plain click never loses an earlier pick), with a filter box when JavaScript runs.

const PASSWORD = 'en lang adgangskode';

async function signIn(page: Page): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('E-mail (skal udfyldes)').fill('karin@kk.dk');
  await page.getByLabel('Adgangskode (skal udfyldes)').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.waitForURL((u) => u.pathname === '/');
}

async function newPage(browser: Browser, base: string, javaScriptEnabled: boolean): Promise<Page> {
  const context = await browser.newContext({ baseURL: base, locale: 'da-DK', javaScriptEnabled });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await signIn(page);
  return page;
}

/** The visible option labels of a picker. */
const shownOptions = (page: Page, key: string) =>
  page.locator(`#field-${key} .samspil-picker-option:visible label`).allTextContents();

t.test(
  'with JavaScript: ticking several keeps them all, the filter narrows the list, the form saves them',
  async (t) => {
    const { app, browser, base, consoleErrors } = await startBrowserSession(t);
    await app.services.accounts.createUser(
      system,
      {
        email: 'karin@kk.dk',
        name: 'Karin Koordinator',
        password: PASSWORD,
        role: 'coordinator',
        municipalityCode: 101,
      },
      { system: true },
    );
    const page = await newPage(browser, base, true);
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 422/.test(m.text())) consoleErrors.push(m.text());
    });
    await page.goto('/actors/new');
    const municipalities = page.getByRole('group', { name: 'Arbejder i kommunerne' });
    const groups = page.getByRole('group', { name: 'Målgrupper' });
    t.equal(await municipalities.getByRole('checkbox').count(), 98, 'all 98 municipalities are checkboxes');
    t.ok(await municipalities.getByRole('group', { name: 'Region Nordjylland' }).isVisible(), 'grouped by region');
    t.ok((await groups.getByRole('checkbox').count()) >= 57, 'every target group is a checkbox');

    // Plain clicks: each adds to the picks.
    await municipalities.getByLabel('Frederiksberg').click();
    await municipalities.getByLabel('Aarhus').click();
    await municipalities.getByLabel('Odense').click();
    await municipalities.getByLabel('Odense').click();
    t.same(
      await municipalities
        .locator('input:checked')
        .evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value).sort()),
      ['147', '751'],
      'two clicks keep two picks; a second click on a third takes it away again',
    );

    // The filter box: narrows as you type, says how many, never hides a ticked one.
    await groups.getByLabel('Hjemløshed', { exact: true }).check();
    const filter = page.getByLabel('Filtrér listen: Målgrupper');
    t.ok(await filter.isVisible(), 'the filter box is shown when JavaScript runs');
    const total = await groups.getByRole('checkbox').count();
    await filter.focus();
    await page.keyboard.type('stof');
    await page.waitForFunction(() => (document.getElementById('field-targetGroupIds-count')?.textContent ?? '') !== '');
    const shown = await shownOptions(page, 'targetGroupIds');
    t.ok(shown.includes('Stofmisbrug'), 'a match is shown');
    t.ok(shown.includes('Hjemløshed'), 'the ticked group stays in sight');
    t.notOk(shown.includes('Alkoholmisbrug'), 'a group that does not match is hidden');
    t.ok(shown.length < 8, `the list is narrowed (${shown.join(', ')})`);
    t.equal(
      await page.locator('#field-targetGroupIds-count').textContent(),
      `${shown.length} af ${total} vises`,
      'the count is announced',
    );
    t.equal(await page.locator('#field-targetGroupIds-count').getAttribute('role'), 'status', 'in a live region');
    const url = page.url();
    await page.keyboard.press('Enter');
    t.equal(page.url(), url, 'Enter in the filter box does not send the form');
    // Tab goes from the filter box to the first shown checkbox, and Space ticks it.
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.id ?? '');
    t.match(focused, /^field-targetGroupIds-\d+$/, 'Tab reaches a checkbox');
    await groups.getByLabel('Stofmisbrug', { exact: true }).check();
    await expectAccessible(t, page, 'the actor form with a filtered target-group list');
    await filter.fill('');
    await page.waitForFunction(() => (document.getElementById('field-targetGroupIds-count')?.textContent ?? '') === '');
    t.equal((await shownOptions(page, 'targetGroupIds')).length, total, 'an empty filter shows all again');

    const muniFilter = page.getByLabel('Filtrér listen: Arbejder i kommunerne');
    await muniFilter.fill('hol');
    await page.waitForFunction(
      () => (document.getElementById('field-municipalityCodes-count')?.textContent ?? '') !== '',
    );
    const muniShown = await shownOptions(page, 'municipalityCodes');
    t.ok(muniShown.includes('Holbæk') && muniShown.includes('Frederiksberg'), 'matches and the ticked ones');
    t.notOk(
      await municipalities.getByRole('group', { name: 'Region Nordjylland' }).isVisible(),
      'a region with none hides',
    );

    // Sent without a name: 422, and every pick is still ticked.
    await page.getByRole('button', { name: 'Opret aktør' }).click();
    await errorSummaryFocused(page);
    const picked = () =>
      page.locator('.samspil-picker input:checked').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).id));
    t.equal((await picked()).length, 4, 'the picks survive a failed submit');
    await page.getByLabel('Navn (skal udfyldes)').fill('Gadeholdet');
    await page.getByLabel('Organisationsform (skal udfyldes)').selectOption('association');
    await page.getByLabel('Fortaler', { exact: true }).check();
    await page.getByRole('button', { name: 'Opret aktør' }).click();
    await page.waitForURL(/\/actors\/\d+$/);
    const facts = await page.locator('.samspil-dl').first().textContent();
    t.match(facts, /Frederiksberg, Aarhus|Aarhus, Frederiksberg/, 'both municipalities are saved');
    t.match(facts, /Hjemløshed/);
    t.match(facts, /Stofmisbrug/, 'both target groups are saved');

    // The edit form starts with the picks ticked.
    await page.goto(`${new URL(page.url()).pathname}/edit`);
    t.equal((await picked()).length, 4, 'the edit form shows the saved picks ticked');
    await expectAccessible(t, page, 'the actor edit form');
    t.same(consoleErrors, [], 'no console errors or CSP violations');
  },
);

t.test('without JavaScript: plain checkboxes, no filter box, and the picks are saved', async (t) => {
  const { app, browser, base } = await startBrowserSession(t);
  const { accounts, actors } = app.services;
  const karin = await accounts.createUser(
    system,
    { email: 'karin@kk.dk', name: 'Karin Koordinator', password: PASSWORD, role: 'coordinator', municipalityCode: 101 },
    { system: true },
  );
  const p = { userId: karin.id, municipalityCode: 101, role: 'coordinator' as const };
  await actors.register(p, actorInput({ name: 'Natcaféen på Vesterbro', contacts: [] }));
  await actors.register(p, actorInput({ name: 'Varmestuen Enghave', contacts: [] }));
  const page = await newPage(browser, base, false);

  await page.goto('/actors/new');
  t.notOk(await page.getByLabel('Filtrér listen: Målgrupper').isVisible(), 'no filter box without JavaScript');
  await page.getByLabel('Navn (skal udfyldes)').fill('Strikkeklubben');
  await page.getByLabel('Organisationsform (skal udfyldes)').selectOption('informal_group');
  await page.getByLabel('Inklusionsarena', { exact: true }).check();
  await page.getByRole('group', { name: 'Arbejder i kommunerne' }).getByLabel('Frederiksberg').check();
  await page.getByRole('group', { name: 'Arbejder i kommunerne' }).getByLabel('Gentofte').check();
  // One target group only: a single value posts as before and is read as a list of one.
  await page.getByRole('group', { name: 'Målgrupper' }).getByLabel('Social isolation', { exact: true }).check();
  await page.getByRole('button', { name: 'Opret aktør' }).click();
  await page.waitForURL(/\/actors\/\d+$/);
  const facts = await page.locator('.samspil-dl').first().textContent();
  t.match(facts, /Frederiksberg, Gentofte|Gentofte, Frederiksberg/, 'both municipalities are saved');
  t.match(facts, /Social isolation/, 'the one target group is saved');

  // The agreement's actors: search with the button, tick, search again: the first stays ticked.
  await page.goto('/agreements/new');
  await page.getByLabel('Titel (skal udfyldes)').fill('Nattevagter');
  await page.getByLabel('Uformel').check();
  await page.getByLabel('Søg efter aktører').fill('Natcaf');
  await page.getByRole('button', { name: 'Søg', exact: true }).click();
  await page.waitForLoadState('load');
  const actorsGroup = page.getByRole('group', { name: /^Aktører/ });
  t.same(await actorsGroup.getByRole('checkbox').count(), 1, 'the search found one actor');
  await actorsGroup.getByLabel('Natcaféen på Vesterbro').check();
  await page.getByLabel('Søg efter aktører').fill('Varmestue');
  await page.getByRole('button', { name: 'Søg', exact: true }).click();
  await page.waitForLoadState('load');
  t.ok(await actorsGroup.getByLabel('Natcaféen på Vesterbro').isChecked(), 'the first pick is kept, ticked');
  await actorsGroup.getByLabel('Varmestuen Enghave').check();
  await page.getByRole('group', { name: 'Målgrupper' }).getByLabel('Hjemløshed', { exact: true }).check();
  await page.getByRole('button', { name: 'Opret aftalen' }).click();
  await page.waitForURL(/\/agreements\/\d+$/);
  const main = await page.locator('main').textContent();
  t.match(main, /Natcaféen på Vesterbro[\s\S]*Varmestuen Enghave|Varmestuen Enghave[\s\S]*Natcaféen på Vesterbro/);
  t.match(main, /Hjemløshed/, 'the target group is saved');

  // axe needs JavaScript itself: the same form with the app's scripts blocked.
  const blocked = await browser.newContext({ baseURL: base, locale: 'da-DK' });
  await blocked.route(/\/static\/(js|vendor\/htmx)\//, (route) => route.abort());
  const scriptless = await blocked.newPage();
  await signIn(scriptless);
  for (const url of ['/actors/new', '/agreements/new']) {
    await scriptless.goto(url);
    t.notOk(await scriptless.locator('.samspil-picker-filter').first().isVisible(), `${url}: no filter box`);
    await expectAccessible(t, scriptless, `${url} without the app’s scripts`);
  }
});
