import t from 'tap';
import { system } from '../../src/lib/principal.ts';
import { actorInput } from '../factories.ts';
import { errorSummaryFocused, expectAccessible, startBrowserSession } from './browser.ts';

t.test(
  'finance records an application, awards it split over two groups, pays it and receives the report',
  async (t) => {
    const { app, page, consoleErrors } = await startBrowserSession(t);
    const { accounts, actors, grants } = app.services;
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
    const adminPrincipal = { userId: admin.id, municipalityCode: 101, role: 'admin' as const };
    await actors.register(adminPrincipal, actorInput({ name: 'Værestedet Trappen' }));
    await actors.register(adminPrincipal, actorInput({ name: 'Blå Kors Varmestue' }));
    await grants.createRound(adminPrincipal, { year: 2026, name: '§ 18-puljen 2026', budgetOre: 50_000_000 });

    await page.goto('/login');
    await page.getByLabel('E-mail (skal udfyldes)').fill('frida@kk.dk');
    await page.getByLabel('Adgangskode (skal udfyldes)').fill('en lang adgangskode');
    await page.getByRole('button', { name: 'Log ind' }).click();
    await page.waitForURL((u) => u.pathname === '/');

    await page.getByRole('link', { name: 'Puljer og bevillinger' }).click();
    await page.waitForURL(/\/grants$/);
    await expectAccessible(t, page, 'the grant list');
    await page.getByRole('link', { name: 'Registrér ansøgning' }).click();
    await page.waitForURL(/\/grants\/new$/);
    await expectAccessible(t, page, 'the application form');
    t.equal(await page.locator('#field-actorId option').count(), 3);
    await page.getByLabel('Søg efter aktør').fill('Trappen');
    await page.waitForFunction(() => document.querySelectorAll('#field-actorId option').length === 2);
    t.pass('the actor search narrowed the options with htmx');
    await page.getByLabel('Aktør', { exact: true }).selectOption({ label: 'Værestedet Trappen' });
    await page.getByLabel('Titel (skal udfyldes)').fill('Aftenåbent værested');
    await page.getByLabel('Ansøgt beløb i kroner (skal udfyldes)').fill('80.000');
    await page.getByRole('button', { name: 'Registrér ansøgning' }).click();
    await page.waitForURL(/\/grants\/\d+$/);
    await expectAccessible(t, page, 'the grant page');

    await page.getByLabel('Bevilget beløb i kroner (skal udfyldes)').fill('60.000');
    await page.getByLabel('Målgruppe 1').selectOption({ label: '\u00a0\u00a0\u00a0Hjemløshed' });
    await page.getByLabel('Beløb 1 i kroner').fill('40.000');
    await page.getByLabel('Målgruppe 2').selectOption({ label: '\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0Stofmisbrug' });
    await page.getByLabel('Beløb 2 i kroner').fill('10.000');
    await page.getByRole('button', { name: 'Bevil', exact: true }).click();
    await errorSummaryFocused(page);
    t.pass('the focus is on the error summary');
    t.match(
      await page.locator('#error-summary').textContent(),
      /Fordelingen giver 50\.000,00 kr\., bevillingen er 60\.000,00 kr\./,
      'a split that does not add up is refused, naming both sums',
    );
    t.equal(await page.getByText(/Fordelingen giver/).count(), 1, 'said once');
    await expectAccessible(t, page, 'the grant page with an error');
    await page.getByLabel('Beløb 2 i kroner').fill('20.000');
    await page.getByRole('button', { name: 'Bevil', exact: true }).click();
    await page.waitForSelector('text=Fordeling på målgrupper');
    t.match(await page.locator('h1').textContent(), /Bevilget/);

    await page.getByLabel('Beløb i kroner (skal udfyldes)').fill('60.000');
    await page.getByRole('button', { name: 'Gem udbetaling' }).click();
    await page.waitForSelector('text=Udbetalinger');
    await page.getByRole('button', { name: 'Markér som udbetalt' }).click();
    await page.getByRole('button', { name: 'Ja, markér som udbetalt' }).click();
    await page.waitForSelector('h1 >> text=Udbetalt');
    await page.getByLabel('Afrapportering modtaget').fill('2027-05-10');
    await page.getByLabel('Regnskabet er revisorpåtegnet').check();
    await page.getByRole('button', { name: 'Gem afrapportering' }).click();
    await page.waitForSelector('text=10.05.2027');
    await expectAccessible(t, page, 'the grant page after payment and report');

    await page.getByRole('link', { name: /§ 18-puljen 2026/ }).click();
    await page.waitForURL(/\/grant-rounds\/\d+$/);
    t.match(await page.locator('.samspil-figures').textContent(), /60\.000,00 kr\./);
    await expectAccessible(t, page, 'the round overview');
    t.same(consoleErrors, [], 'no console errors and no CSP violations');
  },
);
