import t from 'tap';
import { addDays, danishDate } from '../../src/lib/dates.ts';
import { system } from '../../src/lib/principal.ts';
import type { ApplicationInput } from '../../src/modules/applications/applications.schemas.ts';
import { actorInput } from '../factories.ts';
import { activate, expectAccessible, startBrowserSession } from './browser.ts';

/**
 * Issue 21, the staff side with the keyboard only: from the round's page to its inbox, to an
 * application, confirming the actor its CVR number proposes, starting the review, and registering
 * an informal group as an actor; axe on every page on the way.
 */
t.test('inbox → application → confirm the actor → start the review, keyboard only', async (t) => {
  const { app, page, consoleErrors } = await startBrowserSession(t);
  page.setDefaultTimeout(15_000);
  const user = await app.services.accounts.createUser(
    system,
    {
      email: 'koordinator@kk.dk',
      name: 'Kim Koordinator',
      password: 'en lang adgangskode',
      role: 'coordinator',
      municipalityCode: 101,
    },
    { system: true },
  );
  const principal = { userId: user.id, municipalityCode: 101, role: 'coordinator' as const };
  const admin = await app.services.accounts.createUser(
    system,
    { email: 'admin@kk.dk', name: 'Ada Admin', password: 'en lang adgangskode', role: 'admin', municipalityCode: 101 },
    { system: true },
  );
  const adminPrincipal = { userId: admin.id, municipalityCode: 101, role: 'admin' as const };
  const today = danishDate();
  const planned = await app.services.grants.createRound(adminPrincipal, {
    year: Number(today.slice(0, 4)),
    name: 'Nabopuljen',
    budgetOre: 50_000_000,
    applicationsOpenOn: addDays(today, -1),
    applicationsCloseOn: addDays(today, 30),
  });
  const round = await app.services.grants.advanceRound(adminPrincipal, planned.id, planned.version);
  const actor = await app.services.actors.register(
    principal,
    actorInput({ name: 'Fællesskabet i Valby', cvr: '12345674' }),
    {
      allowSimilar: true,
    },
  );
  const group = (await app.services.targetGroups.tree()).find((g) => g.nameDa === 'Hjemløshed');
  const input = (extra: Partial<ApplicationInput>): ApplicationInput => ({
    contactName: 'Karen Kontakt',
    contactEmail: 'karen@example.dk',
    contactPhone: '12345678',
    projectTitle: 'Fællesspisning',
    purpose: 'Vi spiser sammen.',
    targetGroups: [{ targetGroupId: group?.id as number, expectedParticipants: 20 }],
    municipalityCodes: [101],
    periodFrom: '2027-03-01',
    periodTo: '2027-12-31',
    budgetLines: [{ text: 'Råvarer', amount: 1_000_000 }],
    applied: 1_000_000,
    bankRegNo: '1234',
    bankAccountNo: '1234567890',
    consent: true,
    ...extra,
  });
  const origin = { ip: '127.0.0.1', locale: 'da' as const };
  const { application: association } = await app.services.applications.apply(
    round.id,
    'submit',
    input({ applicantKind: 'organisation', organisationName: 'Foreningen Fællesskab', cvr: '12345674' }),
    origin,
  );
  const { application: neighbours } = await app.services.applications.apply(
    round.id,
    'submit',
    input({ applicantKind: 'informal_group', groupName: 'Naboerne på Amager', responsibleName: 'Rasmus Ansvarlig' }),
    origin,
  );

  await page.goto('/login');
  await page.getByLabel('E-mail (skal udfyldes)').fill('koordinator@kk.dk');
  await page.getByLabel('Adgangskode (skal udfyldes)').fill('en lang adgangskode');
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.waitForURL((u) => u.pathname === '/');

  await page.goto(`/grant-rounds/${round.id}`);
  await expectAccessible(t, page, 'the round with its inbox link');
  await activate(page, 'link', 'Se puljens ansøgninger (2 nye)');
  await page.waitForURL(new RegExp(`/grant-rounds/${round.id}/applications$`));
  await expectAccessible(t, page, 'the inbox');
  t.match(await page.locator('main').textContent(), /Forslag – skal bekræftes/);

  await activate(page, 'link', 'Foreningen Fællesskab');
  await page.waitForURL(new RegExp(`/applications/${association.id}$`));
  await expectAccessible(t, page, 'the application with a proposed actor');
  await activate(page, 'button', /Bekræft som ansøger/);
  await page.waitForURL(new RegExp(`/applications/${association.id}#actor$`));
  t.match(await page.locator('#actor').textContent(), /bekræftet som aktøren\s+Fællesskabet i Valby/);
  await expectAccessible(t, page, 'the application with its actor confirmed');
  await activate(page, 'button', 'Start behandling');
  await page.waitForFunction(() =>
    /Under behandling/.test(document.querySelector('#application-status')?.textContent ?? ''),
  );
  await expectAccessible(t, page, 'the application under review');

  // The informal group: registered by its group name, its role chosen by keyboard.
  await page.goto(`/applications/${neighbours.id}`);
  await page.getByLabel('Inklusionsarena', { exact: true }).focus();
  await page.keyboard.press('Space');
  await activate(page, 'button', 'Opret aktør');
  await page.waitForURL(new RegExp(`/applications/${neighbours.id}#actor$`));
  t.match(await page.locator('#actor').textContent(), /Naboerne på Amager/);
  await expectAccessible(t, page, 'the group with its new actor');
  const created = await app.services.actors.list({ q: 'Naboerne', limit: 5, offset: 0 });
  t.same(
    created.items.map((a) => [a.name, a.orgType]),
    [['Naboerne på Amager', 'informal_group']],
  );
  t.not(actor.id, created.items[0]?.id);
  t.same(consoleErrors, [], 'no console errors');
});
