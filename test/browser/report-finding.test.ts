import t from 'tap';
import { system } from '../../src/lib/principal.ts';
import { actorInput } from '../factories.ts';
import { expectAccessible, startBrowserSession } from './browser.ts';

/**
 * Issue 19, points 8 and 9: the proportionality report leads with its finding (an underserved group
 * two levels down under a parent that is in order overall), its answer columns are on screen at
 * 1280 px, a phone gets readable rows, and the drill-down leads back to the report as it was.
 */
t.test('the report leads with its finding, fits the screen, and the drill-down leads back', async (t) => {
  const { app, page, consoleErrors } = await startBrowserSession(t);
  const { accounts, actors, grants, targetGroups, needEstimates } = app.services;
  const admin = await accounts.createUser(
    system,
    { email: 'a@kk.dk', name: 'Admin', password: 'en lang adgangskode', role: 'admin', municipalityCode: 101 },
    { system: true },
  );
  const p = { userId: admin.id, municipalityCode: 101, role: 'admin' as const };
  const groups = await targetGroups.list();
  const id = (name: string) => groups.find((g) => g.nameDa === name)?.id as number;
  const heavy = await targetGroups.addLocal(p, {
    nameDa: 'Meget belastede stofmisbrugere',
    parentId: id('Stofmisbrug'),
    municipalityCode: 101,
  });
  const round = await grants.createRound(p, { year: 2026, name: '§ 18-puljen 2026', budgetOre: 100_000_000 });
  for (const [name, group, amount] of [
    ['Herberget', id('Hjemløshed'), 4_000_000],
    ['Ædruklubben', id('Alkoholmisbrug'), 5_800_000],
    ['Fixerummet', heavy.id, 200_000],
  ] as const) {
    const actor = await actors.register(p, actorInput({ name, targetGroupIds: [group] }));
    const g = await grants.apply(p, {
      roundId: round.id,
      actorId: actor.id,
      title: `Tilskud til ${name}`,
      requestedOre: amount,
      kind: 'money',
    });
    await grants.transition(p, g.id, { to: 'approved', version: g.version, awardedOre: amount, targetGroupId: group });
  }
  await needEstimates.replace(p, 101, 2026, [
    { targetGroupId: id('Hjemløshed'), people: 400 },
    { targetGroupId: id('Alkoholmisbrug'), people: 500 },
    { targetGroupId: heavy.id, people: 100 },
  ]);

  await page.goto('/login');
  await page.getByLabel('E-mail (skal udfyldes)').fill('a@kk.dk');
  await page.getByLabel('Adgangskode (skal udfyldes)').fill('en lang adgangskode');
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.waitForURL((u) => u.pathname === '/');

  await page.goto('/reports/proportionality?area=municipality%3A101&year=2026');

  // The finding comes first: above the chart and the table, in the first screenful.
  const findings = page.locator('section[aria-labelledby="findings-heading"]');
  t.equal(await findings.getByRole('heading').textContent(), 'Underforsynede målgrupper');
  const finding = findings.locator(`#finding-${heavy.id}`);
  t.match(await finding.textContent(), /Meget belastede stofmisbrugere[\s\S]*Underforsynet[\s\S]*indeks 0,20/);
  t.match(await finding.textContent(), /under Socialt problem › Misbrug › Stofmisbrug/, 'says where it sits');
  const top = async (selector: string) => (await page.locator(selector).boundingBox())?.y ?? Number.POSITIVE_INFINITY;
  t.equal(
    await page.locator('#report-heading + section').getAttribute('aria-labelledby'),
    'findings-heading',
    'the report starts with its finding',
  );
  t.ok((await top('#findings-heading')) < (await top('svg[role="img"]')), 'before the chart');
  t.ok((await top('#findings-heading')) < (await top('#report-table')), 'before the table');

  // The parent that hides it says so; a group with neither need nor money has no data.
  const misuse = page.locator(`#group-${id('Misbrug')}`);
  t.match(await misuse.textContent(), /I orden samlet\s*–\s*2 undergrupper underforsynede/);
  t.match(await page.locator(`#group-${id('Prostitution')}`).textContent(), /Ingen data/);
  t.notMatch(await page.locator(`#group-${id('Prostitution')}`).textContent(), /I orden/);
  await expectAccessible(t, page, 'the report with its finding first');

  // At 1280 px the answer columns are within the viewport, without scrolling sideways.
  const width = page.viewportSize()?.width ?? 0;
  t.equal(width, 1280);
  for (const header of ['Indeks', 'Vurdering', 'Se bag tallene']) {
    const box = await page.locator('#report-table thead th', { hasText: header }).boundingBox();
    t.ok(box && box.x >= 0 && box.x + box.width <= width, `${header} is on screen at 1280 px`, { box });
  }
  t.ok(
    await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
    'the page does not scroll sideways at 1280 px',
  );
  const fit = await page.evaluate(() => {
    const wrap = document.querySelector('.samspil-report-wrap') as HTMLElement;
    return { scrollWidth: wrap.scrollWidth, clientWidth: wrap.clientWidth };
  });
  t.ok(fit.scrollWidth <= fit.clientWidth, 'the whole table fits at 1280 px, with no scrolling inside it', fit);

  // The finding's link opens the table down to its row.
  await finding.getByRole('link', { name: 'Meget belastede stofmisbrugere', exact: true }).click();
  await page.waitForURL((u) => u.hash === `#group-${heavy.id}`);
  const row = page.locator(`#group-${heavy.id}`);
  t.match(await row.textContent(), /Meget belastede stofmisbrugere[\s\S]*0,20[\s\S]*Underforsynet/);
  t.ok(await row.isVisible(), 'the row is shown');

  // The drill-down leads back to the report with its choices and unfolded groups.
  const reportUrl = page.url().replace(/#.*$/, '');
  await row.getByRole('link', { name: /Bevillinger/ }).click();
  await page.waitForURL(/\/grants\?/);
  t.match(await page.locator('#grant-results').textContent(), /Tilskud til Fixerummet/);
  await expectAccessible(t, page, 'the grants behind a report row, with the way back');
  await page.getByRole('link', { name: 'Tilbage til rapporten' }).click();
  await page.waitForURL((u) => u.pathname === '/reports/proportionality');
  t.equal(page.url(), reportUrl, 'back to the same report, groups unfolded');
  await row.waitFor();

  await page.goBack();
  await page.goBack();
  await row.getByRole('link', { name: /Aktører/ }).click();
  await page.waitForURL(/\/actors\?/);
  await page.getByRole('link', { name: 'Tilbage til rapporten' }).click();
  await page.waitForURL((u) => u.pathname === '/reports/proportionality');
  t.equal(page.url(), reportUrl, 'and from the actors too');

  // On a phone the table becomes rows of labelled lines, and nothing is wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(reportUrl);
  t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'no sideways scrolling at 390 px', {
    scrollWidth: await page.evaluate(() => document.documentElement.scrollWidth),
  });
  const phoneRow = page.locator(`#group-${heavy.id}`);
  const rowBox = await phoneRow.boundingBox();
  t.ok(rowBox && rowBox.x >= 0 && rowBox.x + rowBox.width <= 390, 'a group fits the phone', { rowBox });
  const label = await phoneRow
    .locator('td', { hasText: '0,20' })
    .evaluate((td) => getComputedStyle(td, '::before').content);
  t.equal(label, '"Indeks"', 'each value carries its header as a label');
  await expectAccessible(t, page, 'the report on a phone');

  t.same(consoleErrors, [], 'no console errors, CSP violations or missing files');
});
