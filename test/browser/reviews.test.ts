import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import t, { type Test } from 'tap';
import { addDays, danishDate } from '../../src/lib/dates.ts';
import { system } from '../../src/lib/principal.ts';
import { associationForm, visitor } from '../modules/applications/fixture.ts';
import {
  errorSummaryFocused,
  expectAccessible,
  scoreWithKeyboard,
  signInWithKeyboard,
  startBrowserSession,
} from './browser.ts';

/**
 * Issue 21, review: two reviewers sign in in turn and score an application with the keyboard only
 * (a refused form first, then saved); the committee view shows both side by side; axe on each page.
 */
const PASSWORD = 'en lang og hemmelig adgangskode';

async function review(t: Test, page: Page, url: string, scores: number[], comment: string) {
  await page.goto(url);
  await expectAccessible(t, page, 'the review form');
  // The first criterion only: the form is refused with its errors summed up.
  await scoreWithKeyboard(page, 0, scores[0] as number);
  await page.getByRole('button', { name: 'Gem vurdering' }).focus();
  await page.keyboard.press('Enter');
  await errorSummaryFocused(page);
  t.match(await page.locator('#error-summary').textContent(), /Kriterium 2: Vælg et point fra 1 til 5/);
  await expectAccessible(t, page, 'the review form with its errors');
  // The summary's link leads to the criterion's first score.
  await page.locator('#error-summary a').first().focus();
  await page.keyboard.press('Enter');
  t.equal(await page.evaluate(() => document.activeElement?.id), 'field-scores-1-score', 'the link moves focus');
  for (const [i, value] of scores.entries()) await scoreWithKeyboard(page, i, value);
  await page.getByLabel('Samlet kommentar (valgfri)').focus();
  await page.keyboard.type(comment);
  await page.getByRole('button', { name: 'Gem vurdering' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('text=Din vurdering er gemt.');
  for (const [i, value] of scores.entries())
    t.ok(await page.locator(`input[name="scores[${i}][score]"][value="${value}"]`).isChecked(), `score ${value} kept`);
  await expectAccessible(t, page, 'the review form saved');
}

t.test('two reviewers score with the keyboard; the committee sees both side by side', async (t) => {
  const { app, base, browser, consoleErrors } = await startBrowserSession(t);
  const users = [
    { email: 'karin@kk.dk', name: 'Karin Koordinator', role: 'coordinator' as const },
    { email: 'finn@kk.dk', name: 'Finn Finans', role: 'finance' as const },
  ];
  const ids: number[] = [];
  for (const u of users)
    ids.push(
      (
        await app.services.accounts.createUser(
          system,
          { ...u, password: PASSWORD, municipalityCode: 101 },
          { system: true },
        )
      ).id,
    );
  const today = danishDate();
  const finance = { userId: ids[1] as number, municipalityCode: 101, role: 'finance' as const, name: 'Finn Finans' };
  const planned = await app.services.grants.createRound(finance, {
    year: Number(today.slice(0, 4)),
    name: 'Puljen for fællesskaber',
    budgetOre: 50_000_000,
    applicationsOpenOn: addDays(today, -1),
    applicationsCloseOn: addDays(today, 30),
    targetGroupIds: [],
    criteria: [{ title: 'Rækker ud til målgruppen' }, { title: 'Realistisk budget' }],
  });
  const round = await app.services.grants.advanceRound(finance, planned.id, planned.version);
  const [group] = await app.database.rows<{ id: number }>(
    sql`select id from target_groups where name_da = 'Hjemløshed' and municipality_code is null`,
  );
  const groupId = group?.id as number;
  const applyPage = `/public/rounds/${round.id}/apply`;
  const v = await visitor(app, applyPage);
  const sent = await v.post(applyPage, associationForm(groupId, { applied: '100.000' }));
  t.equal(sent.statusCode, 303, 'an application is sent');
  const [application] = await app.database.rows<{ id: number }>(sql`select id from applications`);
  const url = `/applications/${application?.id}/review`;

  const karin = await signInWithKeyboard(browser, base, 'karin@kk.dk', PASSWORD);
  await review(t, karin, url, [4, 5], 'Godt projekt');
  await karin.context().close();

  const finn = await signInWithKeyboard(browser, base, 'finn@kk.dk', PASSWORD);
  await review(t, finn, url, [2, 3], 'Budgettet er stramt');
  await finn.getByRole('link', { name: 'Se alle puljens vurderinger' }).focus();
  await finn.keyboard.press('Enter');
  await finn.waitForURL((u) => u.pathname === `/grant-rounds/${round.id}/reviews`);
  t.match(await finn.locator('caption').textContent(), /Finn Finans · Karin Koordinator/, 'the reviewers named');
  const row = finn.locator(`#committee-row-${application?.id}`);
  const text = (await row.textContent()) ?? '';
  t.match(text, /3,0[\s\S]*2 · 4/, 'the first criterion: the average and both scores side by side');
  t.match(text, /4,0[\s\S]*3 · 5/, 'the second criterion');
  t.match(text, /3,5/, 'the average in all');
  t.match(text, /Inden for restbudgettet/);
  await expectAccessible(t, finn, 'the committee view');
  t.same(consoleErrors, [], 'no console errors');
});
