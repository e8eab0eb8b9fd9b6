import { sql } from 'drizzle-orm';
import t from 'tap';
import { danishDate } from '../../src/lib/dates.ts';
import { actorInput } from '../factories.ts';
import { signedInClient } from '../helper.ts';
import { pdf } from '../modules/applications/files.ts';
import { associationForm, ffbGroup, roundOf, tokenFrom, visitor } from '../modules/applications/fixture.ts';
import { errorSummaryFocused, expectAccessible, flashSays, startBrowserSession } from './browser.ts';

/**
 * Issue 21, done when: a report submitted through the link, with accounts, is accepted by finance;
 * the proportionality report shows the reach. The applicant reports with the keyboard only (the file
 * through the browser's own dialogue), finance accepts on the grant's report page, axe on each page.
 */
t.test('an applicant reports through the link, finance accepts, the report shows the reach', async (t) => {
  const { app, page, consoleErrors } = await startBrowserSession(t);
  page.setDefaultTimeout(15_000);
  const h = {
    app,
    database: app.database,
    inject: (await signedInClient(app, 'admin', 101)).inject,
    as: (role: 'finance', code = 101) => signedInClient(app, role, code),
  };
  const finance = await h.as('finance');
  const roundId = await roundOf(h as never, 'Puljen for fællesskaber');
  const stof = await ffbGroup(h as never, 'Stofmisbrug');
  const v = await visitor(app, `/public/rounds/${roundId}/apply`);
  const applied = await v.post(`/public/rounds/${roundId}/apply`, associationForm(stof));
  const token = tokenFrom(applied.headers.location);
  const actor = (await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput() })).json();
  const grant = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grants',
      payload: { roundId, actorId: actor.id, title: 'Fællesspisning', requestedOre: 1_000_000 },
    })
  ).json();
  const awarded = (
    await finance.inject({
      method: 'POST',
      url: `/api/v1/grants/${grant.id}/transitions`,
      payload: { to: 'approved', version: grant.version, awardedOre: 1_000_000, targetGroupId: stof },
    })
  ).json();
  const paid = (
    await finance.inject({
      method: 'PATCH',
      url: `/api/v1/grants/${grant.id}`,
      payload: {
        version: awarded.version,
        payments: [{ kind: 'payment', paidOn: danishDate(), amountOre: 1_000_000 }],
      },
    })
  ).json();
  await finance.inject({
    method: 'POST',
    url: `/api/v1/grants/${grant.id}/transitions`,
    payload: { to: 'paid', version: paid.version },
  });
  // The decision (another part of issue 21) marks the application approved with its grant.
  await app.database.rows(
    sql`update applications set status = 'approved', grant_id = ${grant.id}, decided_at = now(),
      decided_by = ${finance.user.id}`,
  );

  // ---- the applicant, keyboard only ----
  await page.goto(`/public/applications/${token}`);
  await page.getByRole('link', { name: 'Gå til afrapporteringen' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/report$/);
  t.match(await page.locator('#report-status').textContent(), /Ikke sendt endnu/);
  await expectAccessible(t, page, 'the report page behind the link');

  await page.getByLabel('Hvad har I lavet? (skal udfyldes)').focus();
  await page.keyboard.type('Fællesspisning hver torsdag.');
  await page.getByLabel('Deltagere: Stofmisbrug (skal udfyldes)').focus();
  await page.keyboard.type('40');
  await page.getByRole('button', { name: 'Send afrapportering' }).focus();
  await page.keyboard.press('Enter');
  await errorSummaryFocused(page);
  t.match(await page.locator('#error-summary').textContent(), /Vedhæft regnskabet/, 'the accounts are needed');
  await expectAccessible(t, page, 'the report refused without the accounts');

  await page.getByLabel('Slags dokument', { exact: true }).focus();
  await page.keyboard.type('Regn');
  await page
    .getByLabel('Fil', { exact: true })
    .setInputFiles({ name: 'regnskab.pdf', mimeType: 'application/pdf', buffer: pdf(20_000) });
  await page.getByRole('button', { name: 'Vedhæft dokument' }).focus();
  await page.keyboard.press('Enter');
  await flashSays(page, /vedhæftet/);
  t.ok(await page.getByRole('link', { name: 'regnskab.pdf' }).isVisible(), 'the accounts are listed');

  await page.getByLabel('Hvad har I lavet? (skal udfyldes)').focus();
  await page.keyboard.type('Fællesspisning hver torsdag.');
  await page.getByLabel('Deltagere: Stofmisbrug (skal udfyldes)').focus();
  await page.keyboard.type('40');
  await page.getByRole('button', { name: 'Send afrapportering' }).focus();
  await page.keyboard.press('Enter');
  await flashSays(page, /sendt til kommunen/);
  t.match(await page.locator('#report-status').textContent(), /Sendt/);
  await expectAccessible(t, page, 'the report sent');

  // ---- finance ----
  await page.goto('/login');
  await page.getByLabel('E-mail (skal udfyldes)').fill(finance.user.email);
  await page.getByLabel('Adgangskode (skal udfyldes)').fill('en lang og hemmelig adgangskode');
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.waitForURL((u) => u.pathname === '/');
  await page.goto(`/grants/${grant.id}`);
  await page.getByRole('link', { name: 'Se afrapporteringen fra ansøgeren' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/application-report$/);
  t.match(await page.locator('main').textContent(), /Fællesspisning hver torsdag\./, 'finance reads the report');
  await expectAccessible(t, page, 'finance’s report page');
  await page.getByRole('button', { name: 'Godkend afrapporteringen' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Ja, godkend afrapporteringen' }).waitFor();
  await expectAccessible(t, page, 'the question before accepting');
  await page.getByRole('button', { name: 'Ja, godkend afrapporteringen' }).focus();
  await page.keyboard.press('Enter');
  await flashSays(page, /godkendt/);
  t.match(await page.locator('#report-status').textContent(), /Godkendt/);

  await page.goto(`/reports/proportionality?area=municipality:101&year=${danishDate().slice(0, 4)}`);
  const header = await page.locator('table thead').first().textContent();
  t.match(header, /Nåede deltagere/, 'the report has the column');
  const row = page.locator(`tr#group-${stof}`);
  if (await row.count()) t.match(await row.locator('.samspil-reached').textContent(), /40/, 'with the reach');
  else {
    const parent = await page.locator('td.samspil-reached').allTextContents();
    t.ok(
      parent.some((x) => /40/.test(x)),
      'with the reach in the group’s ancestor',
    );
  }
  await expectAccessible(t, page, 'the proportionality report');
  t.same(consoleErrors, [], 'no console errors');
});
