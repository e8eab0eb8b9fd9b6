import t from 'tap';
import { system } from '../../src/lib/principal.ts';
import { actorInput } from '../factories.ts';
import { expectAccessible, startBrowserSession } from './browser.ts';

t.test('finance estimates need in the grid, opens the report, unfolds a group, drills down and exports', async (t) => {
  const { app, page, consoleErrors } = await startBrowserSession(t);
  const { accounts, actors, grants, targetGroups } = app.services;
  const admin = await accounts.createUser(
    system,
    { email: 'a@kk.dk', name: 'Admin', password: 'en lang adgangskode', role: 'admin', municipalityCode: 101 },
    { system: true },
  );
  await accounts.createUser(
    system,
    {
      email: 'frida@kk.dk',
      name: 'Frida Økonomi',
      password: 'en lang adgangskode',
      role: 'finance',
      municipalityCode: 101,
    },
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
  const shelter = await actors.register(p, actorInput({ name: 'Herberget', targetGroupIds: [id('Hjemløshed')] }));
  const fix = await actors.register(p, actorInput({ name: 'Fixerummet', targetGroupIds: [heavy.id] }));
  const round = await grants.createRound(p, { year: 2026, name: '§ 18-puljen 2026', budgetOre: 100_000_000 });
  for (const [actorId, group, amount] of [
    [shelter.id, id('Hjemløshed'), 9_800_000],
    [fix.id, heavy.id, 200_000],
  ] as const) {
    const g = await grants.apply(p, {
      roundId: round.id,
      actorId,
      title: `Tilskud ${amount}`,
      requestedOre: amount,
      kind: 'money',
    });
    await grants.transition(p, g.id, { to: 'approved', version: g.version, awardedOre: amount, targetGroupId: group });
  }
  await app.services.needEstimates.replace(p, 101, 2026, [{ targetGroupId: id('Hjemløshed'), people: 900 }]);

  await page.goto('/login');
  await page.getByLabel('E-mail (skal udfyldes)').fill('frida@kk.dk');
  await page.getByLabel('Adgangskode (skal udfyldes)').fill('en lang adgangskode');
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.waitForURL((u) => u.pathname === '/');

  // The need grid: one estimate typed in place, saved on change with htmx.
  await page.getByRole('link', { name: 'Behovsskøn' }).click();
  await page.waitForURL(/\/need-estimates/);
  await page.getByLabel('År', { exact: true }).fill('2026');
  await page.getByRole('button', { name: 'Vis' }).click();
  await page.waitForURL(/year=2026/);
  await expectAccessible(t, page, 'the need grid');
  const cell = page.locator(`#need-${heavy.id}-people`);
  await cell.fill('100');
  await cell.press('Tab');
  await page.waitForSelector(`#need-${heavy.id} .samspil-saved`);
  t.equal(await page.locator('#need-total').textContent(), '1.000', 'the total follows in place');
  await expectAccessible(t, page, 'the need grid after saving a row');

  // The report: heavy drug users are underserved.
  await page.getByRole('link', { name: 'Rapporter' }).click();
  await page.waitForURL(/\/reports\/proportionality/);
  await page.getByLabel('Fra år').fill('2026');
  await page.getByLabel('Til år').fill('2026');
  await page.getByRole('button', { name: 'Vis' }).click();
  await page.waitForSelector('text=København, 2026');
  t.ok(await page.locator('svg[role="img"]').isVisible(), 'the chart is shown');
  await expectAccessible(t, page, 'the proportionality report with its chart');

  await page.getByRole('link', { name: /Fold ud: Misbrug/ }).click();
  await page.waitForSelector('text=Stofmisbrug');
  await page.getByRole('link', { name: /Fold ud: Stofmisbrug/ }).click();
  const row = page.locator(`#group-${heavy.id}`);
  await row.waitFor();
  t.match(await row.textContent(), /Meget belastede stofmisbrugere[\s\S]*Underforsynet/, 'flagged underserved');
  t.match(page.url(), /expand=/, 'the unfolded groups are in the address');
  await expectAccessible(t, page, 'the report with groups unfolded');

  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Hent som CSV' }).click();
  const file = await download;
  t.match(file.suggestedFilename(), /^proportionalitet-municipality-101-2026\.csv$/);

  await row.getByRole('link', { name: /Bevillinger/ }).click();
  await page.waitForURL(/\/grants\?targetGroupId=/);
  t.match(await page.locator('#grant-results').textContent(), /Tilskud 200000/, 'drilled down to the grant behind it');
  t.notMatch(await page.locator('#grant-results').textContent(), /Tilskud 9800000/);
  await expectAccessible(t, page, 'the grants behind a report row');

  await page.goto('/reports/shared-actors?regionCode=1084&year=2026');
  await expectAccessible(t, page, 'the shared actors report');

  t.same(consoleErrors, [], 'no console errors, CSP violations or missing files');
});
