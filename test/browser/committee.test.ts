import { sql } from 'drizzle-orm';
import t from 'tap';
import { addDays, danishDate } from '../../src/lib/dates.ts';
import { system } from '../../src/lib/principal.ts';
import { actorInput } from '../factories.ts';
import { associationForm, visitor } from '../modules/applications/fixture.ts';
import { startSmtpServer, until } from '../modules/mail/smtp.ts';
import { activate, expectAccessible, scoreWithKeyboard, signInWithKeyboard, startBrowserSession } from './browser.ts';

/**
 * Issue 21, the staff's whole way with one application, keyboard only: finance finds it in the
 * round's inbox, confirms the actor its CVR number proposes and starts the review; two reviewers
 * score it; finance sees both in the committee view and approves it; the decision mail arrives at a
 * real SMTP server, and the round's overview counts the grant. Axe on every page on the way.
 */
const PASSWORD = 'en lang og hemmelig adgangskode';

t.test('inbox, two reviewers, the decision and its mail, and the grant counted by the round', async (t) => {
  const smtp = await startSmtpServer(t);
  const { app, base, browser, consoleErrors } = await startBrowserSession(t, {
    env: { SMTP_URL: smtp.url, MAIL_POLL_MS: '50', PUBLIC_URL: 'https://samspil.test' },
  });
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
  const finance = { userId: ids[1] as number, municipalityCode: 101, role: 'finance' as const, name: 'Finn Finans' };
  const today = danishDate();
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
  const coordinator = { userId: ids[0] as number, municipalityCode: 101, role: 'coordinator' as const };
  await app.services.actors.register(coordinator, actorInput({ name: 'Fællesskabet i Valby', cvr: '12345674' }), {
    allowSimilar: true,
  });
  const [group] = await app.database.rows<{ id: number }>(
    sql`select id from target_groups where name_da = 'Hjemløshed' and municipality_code is null`,
  );
  const applyPage = `/public/rounds/${round.id}/apply`;
  const v = await visitor(app, applyPage);
  const sent = await v.post(applyPage, associationForm(group?.id as number, { contactEmail: 'ansoeger@forening.dk' }));
  t.equal(sent.statusCode, 303, 'an application is sent');
  await until(() => smtp.received.length >= 1);
  const [application] = await app.database.rows<{ id: number }>(sql`select id from applications`);
  const id = Number(application?.id);

  // Finance: the inbox, the application, its actor confirmed, its review started.
  const finn = await signInWithKeyboard(browser, base, 'finn@kk.dk', PASSWORD);
  await finn.goto(`/grant-rounds/${round.id}`);
  await activate(finn, 'link', /Se puljens ansøgninger/);
  await finn.waitForURL(new RegExp(`/grant-rounds/${round.id}/applications$`));
  await expectAccessible(t, finn, 'the inbox');
  await activate(finn, 'link', 'Foreningen Fællesskab');
  await finn.waitForURL(new RegExp(`/applications/${id}$`));
  await activate(finn, 'button', /Bekræft som ansøger/);
  await finn.waitForURL(new RegExp(`/applications/${id}#actor$`));
  await activate(finn, 'button', 'Start behandling');
  await finn.waitForFunction(() =>
    /Under behandling/.test(document.querySelector('#application-status')?.textContent ?? ''),
  );
  await expectAccessible(t, finn, 'the application under review');

  // Two reviewers score it, each from the application's page.
  const karin = await signInWithKeyboard(browser, base, 'karin@kk.dk', PASSWORD);
  for (const [page, scores] of [
    [karin, [4, 5]],
    [finn, [2, 3]],
  ] as const) {
    await page.goto(`/applications/${id}`);
    await activate(page, 'link', 'Vurdering');
    await page.waitForURL(new RegExp(`/applications/${id}/review$`));
    for (const [i, value] of scores.entries()) await scoreWithKeyboard(page, i, value);
    await activate(page, 'button', 'Gem vurdering');
    await page.waitForSelector('text=Din vurdering er gemt.');
  }
  await karin.context().close();
  await finn.goto(`/grant-rounds/${round.id}/reviews`);
  const row = (await finn.locator(`#committee-row-${id}`).textContent()) ?? '';
  t.match(row, /3,0[\s\S]*2 · 4/, 'the committee sees both reviewers’ scores side by side');
  t.match(row, /3,5/, 'and the average');
  await expectAccessible(t, finn, 'the committee view');

  // Finance decides: approve 20.000 kr., the meeting and the reasons, then the confirmation.
  await finn.goto(`/applications/${id}`);
  await activate(finn, 'link', 'Afgørelse');
  await finn.waitForURL(new RegExp(`/applications/${id}/decision$`));
  await finn.getByLabel('Bevil ansøgningen').focus();
  await finn.keyboard.press('Space');
  await finn.getByLabel('Mødet, der traf afgørelsen (skal udfyldes)').focus();
  await finn.keyboard.type('Socialudvalget 12. marts 2027');
  await finn.getByLabel('Begrundelse (skal udfyldes)').focus();
  await finn.keyboard.type('Projektet rammer puljens prioriterede målgrupper.');
  for (const label of ['Bevilget beløb i kroner', 'Beløb til Hjemløshed (kr.)']) {
    await finn.getByLabel(label, { exact: true }).focus();
    await finn.keyboard.press('ControlOrMeta+A');
    await finn.keyboard.type('20.000');
  }
  await activate(finn, 'button', 'Registrér afgørelsen');
  await finn.waitForSelector('h1 >> text=Bevil 20.000,00 kr. til »Fællesspisning for hjemløse«?');
  await activate(finn, 'button', 'Ja, bevil ansøgningen');
  await finn.waitForSelector('#flash >> text=er bevilget med');
  await expectAccessible(t, finn, 'the decided application');

  await finn.goto(`/grant-rounds/${round.id}`);
  t.match(await finn.locator('main').textContent(), /20\.000,00 kr\./, 'the round’s overview counts the grant');
  const [grant] = await app.database.rows<{ awarded_ore: number; status: string; round_id: number }>(
    sql`select g.awarded_ore, g.status, g.round_id from grants g join applications a on a.grant_id = g.id`,
  );
  t.match(grant, { status: 'approved', round_id: round.id }, 'the approval is a grant of the round');
  t.equal(Number(grant?.awarded_ore), 2_000_000);

  await until(() => smtp.received.length >= 2);
  const mail = smtp.received[1];
  t.equal(mail?.to && 'text' in mail.to ? mail.to.text : '', 'ansoeger@forening.dk');
  t.equal(mail?.subject, 'Din ansøgning »Fællesspisning for hjemløse« er bevilget');
  t.match(mail?.text ?? '', /Projektet rammer puljens prioriterede målgrupper\./);
  t.same(consoleErrors, [], 'no console errors');
});
