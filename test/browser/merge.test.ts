import t from 'tap';
import { system } from '../../src/lib/principal.ts';
import { actorInput } from '../factories.ts';
import { expectAccessible, startBrowserSession } from './browser.ts';

t.test('an admin finds a suspected duplicate and merges it', async (t) => {
  const { app, page, consoleErrors } = await startBrowserSession(t);
  const { accounts, actors } = app.services;
  const admin = await accounts.createUser(
    system,
    { email: 'a@kk.dk', name: 'Anne Admin', password: 'en lang adgangskode', role: 'admin', municipalityCode: 101 },
    { system: true },
  );
  const aarhus = await accounts.createUser(
    system,
    { email: 'b@aarhus.dk', name: 'Bo Admin', password: 'en lang adgangskode', role: 'admin', municipalityCode: 751 },
    { system: true },
  );
  const keep = await actors.register(
    { userId: admin.id, municipalityCode: 101, role: 'admin' },
    actorInput({ name: 'Gadens Stemme København', municipalityCodes: [] }),
  );
  const copy = await actors.register(
    { userId: aarhus.id, municipalityCode: 751, role: 'admin' },
    actorInput({ name: 'Gadens Stemme Kobenhavn', homeMunicipalityCode: 751, municipalityCodes: [] }),
    { allowSimilar: true },
  );
  await page.goto('/login');
  await page.getByLabel('E-mail (skal udfyldes)').fill('a@kk.dk');
  await page.getByLabel('Adgangskode (skal udfyldes)').fill('en lang adgangskode');
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.waitForURL((u) => u.pathname === '/');

  await page.goto('/reports/shared-actors?regionCode=all&year=2026');
  const link = page.getByRole('link', { name: /Læg sammen ?: Gadens Stemme/ });
  await link.waitFor();
  await expectAccessible(t, page, 'the shared actors with the duplicates loaded');
  await link.click();
  await page.waitForURL(/\/actors\/merge\?/);
  await expectAccessible(t, page, 'the merge preview');
  await page.getByLabel(/^Gadens Stemme København \(København/).check();
  await page.getByRole('button', { name: 'Læg aktørerne sammen' }).click();
  await page.waitForURL(new RegExp(`/actors/${keep.id}$`));
  t.match(await page.locator('h1').textContent(), /Gadens Stemme København/);
  await expectAccessible(t, page, 'the actor that remains');
  await page.goto(`/actors/${copy.id}`);
  await page.waitForURL(new RegExp(`/actors/${keep.id}$`));
  t.pass('the merged actor’s address leads to the one that remains');
  t.same(consoleErrors, [], 'no console errors, CSP violations or missing files');
});
