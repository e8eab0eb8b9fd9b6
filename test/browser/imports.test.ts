import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { system } from '../../src/lib/principal.ts';
import { actorInput } from '../factories.ts';
import { holdImports } from '../modules/imports/upload.ts';
import { expectAccessible, startBrowserSession } from './browser.ts';

t.test('finance imports a grant list: columns, a similar actor confirmed, progress, result', async (t) => {
  const { app, page, consoleErrors } = await startBrowserSession(t);
  const { accounts, actors } = app.services;
  await accounts.createUser(
    system,
    {
      email: 'f@kk.dk',
      name: 'Frida Økonomi',
      password: 'en lang adgangskode',
      role: 'finance',
      municipalityCode: 101,
    },
    { system: true },
  );
  const coordinator = await accounts.createUser(
    system,
    { email: 'k@kk.dk', name: 'Karl', password: 'en lang adgangskode', role: 'coordinator', municipalityCode: 101 },
    { system: true },
  );
  const known = await actors.register(
    { userId: coordinator.id, municipalityCode: 101, role: 'coordinator' },
    actorInput({ name: 'Gadespejlet København', municipalityCodes: [] }),
  );
  const dir = mkdtempSync(join(tmpdir(), 'samspil-import-'));
  const file = join(dir, 'bevillinger 2025.csv');
  writeFileSync(
    file,
    [
      'Bevillingsnr.;Navn på forening;Projekt;Bevilget (kr.)',
      'B-1;Gadespejlet;Gadeavis;12.500',
      'B-2;Café Ø-kanten;Morgenmad;20.000,50',
    ].join('\r\n'),
  );

  await page.goto('/login');
  await page.getByLabel('E-mail (skal udfyldes)').fill('f@kk.dk');
  await page.getByLabel('Adgangskode (skal udfyldes)').fill('en lang adgangskode');
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.waitForURL((u) => u.pathname === '/');

  await page.getByRole('link', { name: 'Indlæs lister' }).click();
  await page.waitForURL('**/imports');
  await expectAccessible(t, page, 'the import page');
  await page.getByLabel('Bevillinger (§ 18)').check();
  await page.getByLabel('Fil', { exact: true }).setInputFiles(file);
  await page.getByRole('button', { name: 'Læs filen' }).click();
  await page.waitForURL(/\/imports\/\d+$/);
  t.match(await page.locator('h1').textContent(), /Indlæsning af bevillinger 2025\.csv/);
  await expectAccessible(t, page, 'the column mapping');
  t.equal(await page.getByLabel(/^Aktørens navn/).inputValue(), 'Navn på forening', 'guessed from the header');
  t.equal(await page.getByLabel(/^Bevilget beløb/).inputValue(), 'Bevilget (kr.)');
  await page.getByLabel(/^Sagsnummer eller reference/).selectOption('Bevillingsnr.');
  await page.getByLabel('År for rækker uden år').fill('2025');
  const group = page.getByLabel('Målgruppe for bevillinger uden målgruppe');
  const stof = await group.locator('option', { hasText: 'Stofmisbrug' }).first().getAttribute('value');
  await group.selectOption(stof as string);
  await page.getByRole('button', { name: 'Kontrollér rækkerne' }).click();

  await page.getByRole('heading', { name: 'Er det de samme aktører?' }).waitFor();
  await expectAccessible(t, page, 'the preview with an actor to confirm');
  t.match(await page.locator('main').textContent(), /2 oprettes/);
  // Committing without choosing is refused, and says so.
  await page.getByRole('button', { name: 'Indlæs 2 rækker' }).click();
  await page.getByText('Vælg en aktør, eller opret en ny.').first().waitFor();
  const choice = page.getByRole('group', { name: /Gadespejlet/ }).getByLabel(`Det er ${known.name}`);
  t.equal(await choice.getAttribute('aria-invalid'), 'true', 'the unanswered choice is marked invalid');
  const describedBy = await choice.getAttribute('aria-describedby');
  t.equal(
    await page.locator(`#${describedBy}`).textContent(),
    'Vælg en aktør, eller opret en ny.',
    'and points at the message',
  );
  await choice.check();

  // The runner waits until the progress has been seen, as a large file would keep it.
  const release = holdImports(t, app.services.imports);
  await page.getByRole('button', { name: 'Indlæs 2 rækker' }).click();
  const progress = page.locator('#import-progress');
  await progress.getByText('Indlæsningen er sat i gang.').waitFor();
  t.equal(await progress.getAttribute('role'), 'status', 'the progress is a live region that stays in place');
  await expectAccessible(t, page, 'the progress');
  release();

  const done = page.getByRole('heading', { name: 'Filen er indlæst' });
  await done.waitFor({ timeout: 30_000 });
  // htmx moves the focus to the heading's autofocus when it settles, 20 ms after the swap.
  await page.waitForFunction(() => document.activeElement?.id === 'import-done');
  t.pass('the result heading has the focus');
  await expectAccessible(t, page, 'the result');
  const facts = await page.locator('dl').textContent();
  t.match(facts, /Oprettet\s*2/);
  t.match(facts, /Nye aktører\s*1/);
  t.same(consoleErrors, [], 'no console errors, CSP violations or missing files');
});
