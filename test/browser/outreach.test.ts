import t from 'tap';
import { addDays, danishDate, isoWeek, isoWeekday } from '../../src/lib/dates.ts';
import { system } from '../../src/lib/principal.ts';
import { actorInput } from '../factories.ts';
import { errorSummaryFocused, expectAccessible, startBrowserSession } from './browser.ts';

t.test('a coordinator records outreach at a drop-in centre and finds it in the week', async (t) => {
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
      name: 'Karin',
      password: 'en lang adgangskode',
      role: 'coordinator',
      municipalityCode: 101,
    },
    { system: true },
  );
  const venue = await actors.register(
    { userId: admin.id, municipalityCode: 101, role: 'admin' },
    actorInput({ name: 'Værestedet Kirkens Korshær' }),
  );
  await page.goto('/login');
  await page.getByLabel('E-mail (skal udfyldes)').fill('karin@kk.dk');
  await page.getByLabel('Adgangskode (skal udfyldes)').fill('en lang adgangskode');
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.waitForURL((u) => u.pathname === '/');

  await page.goto(`/actors/${venue.id}`);
  await page.getByRole('link', { name: 'Registrér fremskudt indsats her' }).click();
  await page.waitForURL(/\/outreach\/new\?actorId=/);
  await expectAccessible(t, page, 'the outreach form');
  await page.getByLabel('Indsats').selectOption({ label: 'Rådgivning' });
  await page.getByLabel('Enhed eller medarbejdere (skal udfyldes)').fill('Socialrådgiver fra Borgerservice');
  await page.getByLabel('Tirsdag').check();
  await page.getByLabel('Fra kl. (skal udfyldes)').fill('12:00');
  await page.getByLabel('Til kl. (skal udfyldes)').fill('10:00');
  await page.getByRole('button', { name: 'Gem indsatsen' }).click();
  await errorSummaryFocused(page);
  await expectAccessible(t, page, 'the outreach form with an error');
  await page.getByLabel('Fra kl. (skal udfyldes)').fill('10:00');
  await page.getByLabel('Til kl. (skal udfyldes)').fill('12:00');
  await page.getByRole('button', { name: 'Gem indsatsen' }).click();
  await page.waitForURL(/\/outreach\?week=/);
  let tuesday = danishDate();
  while (isoWeekday(tuesday) !== 2) tuesday = addDays(tuesday, 1);
  t.match(page.url(), new RegExp(`week=${isoWeek(tuesday)}$`), 'the week of its next Tuesday');
  t.match(await page.locator('table').textContent(), /Tirsdag[\s\S]*10:00–12:00[\s\S]*Værestedet Kirkens Korshær/);
  await expectAccessible(t, page, 'the weekly overview');
  await page.getByRole('link', { name: 'Næste uge' }).click();
  await page.waitForURL(/week=/);
  t.match(await page.locator('table').textContent(), /Socialrådgiver fra Borgerservice/, 'and every week after');
  t.same(consoleErrors, [], 'no console errors, CSP violations or missing files');
});
