import { sql } from 'drizzle-orm';
import t from 'tap';
import { addDays, danishDate } from '../../src/lib/dates.ts';
import { system } from '../../src/lib/principal.ts';
import { associationForm, tokenFrom, visitor } from '../modules/applications/fixture.ts';
import { startSmtpServer, until } from '../modules/mail/smtp.ts';
import { errorSummaryFocused, expectAccessible, startBrowserSession } from './browser.ts';

/**
 * Issue 21, questions: a coordinator asks with the keyboard; the applicant answers through the link
 * in the mail, with the keyboard and without JavaScript; the coordinator sees the answer. axe on
 * the staff page, the link page with an open question and the answered question's page.
 */
t.test('a question asked and answered with the keyboard', async (t) => {
  const smtp = await startSmtpServer(t);
  const { app, browser, base, page, consoleErrors } = await startBrowserSession(t, {
    env: { SMTP_URL: smtp.url, MAIL_POLL_MS: '50', PUBLIC_URL: 'https://samspil.test' },
  });
  page.setDefaultTimeout(15_000);
  const coordinator = await app.services.accounts.createUser(
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
  const finance = await app.services.accounts.createUser(
    system,
    {
      email: 'finans@kk.dk',
      name: 'Finn Finans',
      password: 'en lang adgangskode',
      role: 'finance',
      municipalityCode: 101,
    },
    { system: true },
  );
  const financeUser = { userId: finance.id, municipalityCode: 101, role: 'finance' as const };
  const today = danishDate();
  const planned = await app.services.grants.createRound(financeUser, {
    year: Number(today.slice(0, 4)),
    name: 'Puljen for spørgsmål',
    budgetOre: 50_000_000,
    applicationsOpenOn: addDays(today, -1),
    applicationsCloseOn: addDays(today, 30),
  });
  const round = await app.services.grants.advanceRound(financeUser, planned.id, planned.version);
  const [group] = await app.database.rows<{ id: number }>(
    sql`select id from target_groups where name_da = 'Hjemløshed' and municipality_code is null`,
  );
  const v = await visitor(app, `/public/rounds/${round.id}/apply`);
  const sent = await v.post(`/public/rounds/${round.id}/apply`, associationForm(Number(group?.id)));
  tokenFrom(sent.headers.location);
  const [application] = await app.database.rows<{ id: number }>(sql`select max(id)::int as id from applications`);
  const id = Number(application?.id);
  await until(() => smtp.received.length >= 1);

  await page.goto('/login');
  await page.getByLabel('E-mail (skal udfyldes)').fill(coordinator.email);
  await page.getByLabel('Adgangskode (skal udfyldes)').fill('en lang adgangskode');
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.waitForURL((u) => u.pathname === '/');

  await page.goto(`/applications/${id}/questions`);
  await expectAccessible(t, page, 'the questions page, with no questions');
  await page.getByRole('button', { name: 'Send spørgsmålet' }).focus();
  await page.keyboard.press('Enter');
  await errorSummaryFocused(page);
  await expectAccessible(t, page, 'the questions page with an empty question refused');
  await page.getByLabel('Spørgsmål (skal udfyldes)').focus();
  await page.keyboard.type('Hvor mange frivillige er med?');
  await page.getByRole('button', { name: 'Send spørgsmålet' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/questions#question-\d+$/);
  t.match(await page.locator('#conversation + ol').textContent(), /Hvor mange frivillige er med\?/);
  t.match(await page.locator('#conversation + ol').textContent(), /Ansøgeren har ikke svaret endnu/);

  await until(() => smtp.received.length >= 2);
  const link = /https:\/\/samspil\.test(\/public\/applications\/[\w-]+)/.exec(smtp.received[1]?.text ?? '')?.[1];
  t.ok(link, 'the question mail holds a link');

  const applicantPage = await (await browser.newContext({ baseURL: base, locale: 'da-DK' })).newPage();
  await applicantPage.goto(link as string);
  await expectAccessible(t, applicantPage, "the applicant's page with an open question");

  const context = await browser.newContext({ baseURL: base, locale: 'da-DK', javaScriptEnabled: false });
  const noJs = await context.newPage();
  noJs.setDefaultTimeout(15_000);
  await noJs.goto(link as string);
  t.match(await noJs.locator('#questions + ol').textContent(), /Hvor mange frivillige er med\?/);
  await noJs.getByLabel('Dit svar', { exact: true }).focus();
  await noJs.keyboard.type('Vi er otte.');
  await noJs.getByRole('button', { name: 'Send svaret' }).focus();
  await noJs.keyboard.press('Enter');
  await noJs.waitForURL(/#questions$/);
  t.match(await noJs.locator('#questions + ol').textContent(), /Dit svar, sendt/);
  t.match(await noJs.locator('#questions + ol').textContent(), /Vi er otte\./);
  await context.close();

  await applicantPage.goto(link as string);
  await expectAccessible(t, applicantPage, "the applicant's page with an answered question");
  const [q] = await app.database.rows<{ id: number }>(sql`select id from application_questions`);
  await applicantPage.goto(`${link}/questions/${q?.id}`);
  await expectAccessible(t, applicantPage, "the answered question's page");

  await page.goto(`/applications/${id}/questions`);
  t.match(await page.locator('#conversation + ol').textContent(), /Vi er otte\./, 'the coordinator sees the answer');
  t.same(consoleErrors, [], 'no console errors');
});
