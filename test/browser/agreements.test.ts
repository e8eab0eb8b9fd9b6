import t from 'tap';
import { addMonths, danishDate } from '../../src/lib/dates.ts';
import { formatDate } from '../../src/lib/format.ts';
import { system } from '../../src/lib/principal.ts';
import { actorInput } from '../factories.ts';
import { errorSummaryFocused, expectAccessible, startBrowserSession } from './browser.ts';

t.test(
  'a coordinator makes an informal agreement with two actors, logs a meeting, ticks an item off and finds the rest at home',
  async (t) => {
    const { app, page, consoleErrors } = await startBrowserSession(t);
    const { accounts, actors } = app.services;
    const admin = await accounts.createUser(
      system,
      { email: 'a@kk.dk', name: 'Admin', password: 'en lang adgangskode', role: 'admin', municipalityCode: 101 },
      { system: true },
    );
    await accounts.createUser(
      system,
      {
        email: 'karin@kk.dk',
        name: 'Karin Koordinator',
        password: 'en lang adgangskode',
        role: 'coordinator',
        municipalityCode: 101,
      },
      { system: true },
    );
    const adminPrincipal = { userId: admin.id, municipalityCode: 101, role: 'admin' as const };
    await actors.register(adminPrincipal, actorInput({ name: 'Natcaféen på Vesterbro', contacts: [] }));
    await actors.register(adminPrincipal, actorInput({ name: 'Varmestuen Enghave', contacts: [] }));
    await actors.register(adminPrincipal, actorInput({ name: 'Lektiecaféen Nord', contacts: [] }));

    await page.goto('/login');
    await page.getByLabel('E-mail (skal udfyldes)').fill('karin@kk.dk');
    await page.getByLabel('Adgangskode (skal udfyldes)').fill('en lang adgangskode');
    await page.getByRole('button', { name: 'Log ind' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await expectAccessible(t, page, 'the empty follow-up page');

    await page.getByRole('link', { name: 'Aftaler', exact: true }).click();
    await page.waitForURL(/\/agreements$/);
    await expectAccessible(t, page, 'the agreement list');
    await page.getByRole('link', { name: 'Ny aftale' }).click();
    await page.waitForURL(/\/agreements\/new$/);
    await expectAccessible(t, page, 'the agreement form');

    await page.getByLabel('Titel (skal udfyldes)').fill('Uformelt samarbejde om nattevagter');
    await page.getByLabel('Uformel').check();
    // Choose one actor, search for the next: the first stays chosen.
    const search = page.getByLabel('Søg efter aktører');
    await search.fill('Natcaf');
    await page.waitForFunction(() => document.querySelectorAll('#field-actorIds input[type=checkbox]').length === 1);
    await page.getByLabel('Natcaféen på Vesterbro').check();
    await search.fill('Varmestue');
    await page.waitForFunction(() => document.querySelectorAll('#field-actorIds input[type=checkbox]').length === 2);
    t.ok(await page.getByLabel('Natcaféen på Vesterbro').isChecked(), 'the chosen actor stays, ticked');
    await page.getByLabel('Varmestuen Enghave').check();
    t.pass('the actor search narrowed the options with htmx and kept the chosen one');
    await page.getByLabel('Mødefrekvens').selectOption({ label: 'Hver 3. måned' });
    await page.getByLabel('Part 1').fill('Kommunen');
    await page.getByLabel('Ansvar 1').fill('En rådgiver i natcaféen hver tirsdag');
    await page.getByLabel('Startdato (skal udfyldes)').fill('2026-12-31');
    await page.getByLabel('Slutdato').fill('2026-01-01');
    await page.getByRole('button', { name: 'Opret aftalen' }).click();
    await errorSummaryFocused(page);
    t.match(await page.locator('#error-summary').textContent(), /Slutdatoen skal ligge efter startdatoen/);
    await expectAccessible(t, page, 'the agreement form with an error');
    await page.getByLabel('Startdato (skal udfyldes)').fill('2026-01-01');
    await page.getByLabel('Slutdato').fill('2027-12-31');
    await page.getByRole('button', { name: 'Opret aftalen' }).click();
    await page.waitForURL(/\/agreements\/\d+$/);
    t.match(await page.locator('h1').textContent(), /Uformelt samarbejde om nattevagter/);
    t.match(await page.locator('main').textContent(), /Natcaféen på Vesterbro[\s\S]*Varmestuen Enghave/);
    await expectAccessible(t, page, 'the agreement page');

    // Log a meeting with two action items: the section is swapped in place.
    const today = danishDate();
    await page.getByLabel('Deltagere').fill('Karin (kommunen), Ali (natcaféen)');
    await page.getByLabel('Referat').fill('Godt samarbejde; flere frivillige søges.');
    await page.getByLabel('Handlepunkt 1').fill('Skriv opslag om frivillige');
    await page.getByLabel('Ansvarlig bruger for punkt 1').selectOption({ label: 'Karin Koordinator' });
    await page.getByLabel('Handlepunkt 2').fill('Bestil nøgler til lokalet');
    await page.getByLabel('Eller ansvarlig hos en anden part, punkt 2').fill('Ali');
    const url = page.url();
    await page.getByRole('button', { name: 'Gem mødet' }).click();
    await page.waitForSelector('#proposal');
    t.equal(page.url(), url, 'the meeting was logged in place');
    const proposed = addMonths(today, 3);
    t.match(
      await page.locator('#proposal').textContent(),
      new RegExp(`Næste statusmøde foreslås den ${formatDate(proposed).replaceAll('.', '\\.')}`),
      'the next meeting is proposed from the pace',
    );
    t.equal(await page.getByLabel('Planlagt til (skal udfyldes)').inputValue(), proposed, 'and the plan form holds it');
    t.equal(await page.locator('#announcer').textContent(), 'Statusmødet er gemt.', 'the live region says so');
    await expectAccessible(t, page, 'the agreement page after logging a meeting');

    // Tick the other party's item off in place.
    await page.getByRole('button', { name: /^Markér som udført ?: Bestil nøgler til lokalet$/ }).click();
    await page.waitForSelector('li.samspil-item-done');
    t.match(await page.locator('li.samspil-item-done').textContent(), /Bestil nøgler til lokalet[\s\S]*Udført/);
    t.equal(page.url(), url, 'ticked off in place');
    t.equal(await page.locator('#announcer').textContent(), 'Handlepunktet er markeret som udført.');
    t.ok(
      await page.getByRole('button', { name: /^Genåbn ?: Bestil nøgler til lokalet$/ }).isVisible(),
      'the item can be reopened',
    );
    await expectAccessible(t, page, 'the agreement page after ticking an item off');

    // Plan the proposed meeting.
    await page.getByRole('button', { name: 'Planlæg mødet' }).click();
    await page.waitForSelector(`text=Statusmøde planlagt til ${formatDate(proposed)}`);
    await expectAccessible(t, page, 'the agreement page with a planned meeting');

    // The open item waits on the home page, and the navigation counts it.
    await page.getByRole('link', { name: /Opfølgning/ }).click();
    await page.waitForURL((u) => u.pathname === '/');
    const items = page.locator('section[aria-labelledby="h-items"]');
    t.match(await items.textContent(), /Skriv opslag om frivillige/, 'the open item is on the home page');
    t.notMatch(await items.textContent(), /Bestil nøgler/, 'the ticked-off one is not');
    t.match(await page.locator('.samspil-nav').textContent(), /1 at følge op/);
    await expectAccessible(t, page, 'the follow-up page with an open item');
    await items.getByRole('link', { name: 'Skriv opslag om frivillige' }).click();
    await page.waitForURL(/\/agreements\/\d+#item-\d+$/);
    t.pass('the item links to where it is dealt with');

    t.same(consoleErrors, [], 'no console errors, CSP violations or missing files');
  },
);
