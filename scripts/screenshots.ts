// Takes the README's screenshots: `npm run screenshots`. Starts Samspil on a throwaway in-memory
// database with a few realistic actors, signs in with Debian's Chromium and photographs the main pages.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { system } from '../src/lib/principal.ts';
import type { ActorInput } from '../src/modules/actors/actors.schemas.ts';
import { launchChromium } from '../test/browser/browser.ts';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'screenshots');
mkdirSync(out, { recursive: true });

const database = await openDatabase({ kind: 'pglite', dataDir: '' }, { inMemory: true });
await migrateDatabase(database);
const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }), { database, logger: false });
const base = await app.listen({ port: 0, host: '127.0.0.1' });

const password = 'en lang adgangskode';
const admin = await app.services.accounts.createUser(
  system,
  { email: 'karin@kk.dk', name: 'Karin Lund', password, role: 'admin', municipalityCode: 101 },
  { system: true },
);
const principal = { userId: admin.id, municipalityCode: 101, role: 'admin' as const, name: admin.name };
const groups = await app.services.targetGroups.list();
const group = (name: string) => groups.find((g) => g.nameDa === name)?.id;
const ids = (...names: string[]) => names.map(group).filter((id): id is number => id !== undefined);

const actors: Partial<ActorInput>[] = [
  {
    name: 'Kirkens Korshær Natcafé',
    cvr: '10150817',
    orgType: 'association',
    roles: ['inclusion_arena', 'service_provider'],
    underServiceAct: false,
    description: 'Natcafé og varmestue for hjemløse og socialt udsatte. Åbent hver nat fra kl. 22 til 6.',
    website: 'https://www.kirkenskorshaer.dk',
    municipalityCodes: [101, 147],
    targetGroupIds: ids('Hjemløshed', 'Stofmisbrug'),
    contacts: [{ name: 'Jonas Madsen', role: 'Daglig leder', email: 'jonas@example.dk', phone: '33 12 34 56' }],
  },
  {
    name: 'Foreningen Gadens Stemme',
    orgType: 'association',
    roles: ['advocate'],
    description: 'Brugerorganisation for mennesker med erfaring fra et liv på gaden.',
    municipalityCodes: [101],
    targetGroupIds: ids('Hjemløshed'),
  },
  {
    name: 'Strikkecaféen på Nørrebro',
    orgType: 'informal_group',
    roles: ['inclusion_arena'],
    municipalityCodes: [101],
    targetGroupIds: ids('Social isolation'),
  },
  {
    name: 'Bydelsmødrene København',
    orgType: 'social_enterprise',
    roles: ['inclusion_arena', 'advocate'],
    municipalityCodes: [101, 147, 151],
    targetGroupIds: ids('Social isolation'),
  },
  {
    name: 'Sundhedsklinikken for Stofbrugere',
    orgType: 'self_governing_institution',
    roles: ['service_provider'],
    underServiceAct: true,
    municipalityCodes: [101],
    targetGroupIds: ids('Stofmisbrug'),
  },
];
let firstId = 0;
for (const a of actors) {
  const created = await app.services.actors.register(
    principal,
    {
      homeMunicipalityCode: 101,
      municipalityCodes: [],
      targetGroupIds: [],
      contacts: [],
      status: 'active',
      ...a,
    } as ActorInput,
    { allowSimilar: true },
  );
  firstId ||= created.id;
}

// A round with a few decided grants, for the overview.
const round = await app.services.grants.createRound(principal, {
  year: 2026,
  name: '§ 18-puljen 2026',
  budgetOre: 250_000_000,
});
const awards: [string, number, [string, number][]][] = [
  [
    'Natcafé hele året',
    12_000_000,
    [
      ['Hjemløshed', 8_000_000],
      ['Stofmisbrug', 4_000_000],
    ],
  ],
  ['Strikkecafé og fællesspisning', 1_500_000, [['Social isolation', 1_500_000]]],
  ['Bydelsmødre i Nordvest', 6_000_000, [['Social isolation', 6_000_000]]],
];
let k = 0;
for (const [title, amount, split] of awards) {
  const grant = await app.services.grants.apply(principal, {
    roundId: round.id,
    actorId: firstId + k,
    title,
    kind: 'money',
    requestedOre: amount + 500_000,
  });
  k += 1;
  await app.services.grants.transition(principal, grant.id, {
    to: 'approved',
    version: 1,
    awardedOre: amount,
    allocations: split.map(([name, amountOre]) => ({ targetGroupId: group(name) ?? 0, amountOre })),
  });
}

const browser = await launchChromium();
try {
  const page = await browser.newPage({ baseURL: base, viewport: { width: 1280, height: 900 }, locale: 'da-DK' });
  await page.goto('/login');
  await page.getByLabel('E-mail (skal udfyldes)').fill('karin@kk.dk');
  await page.getByLabel('Adgangskode (skal udfyldes)').fill(password);
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.waitForURL(/\/actors$/);
  await page.screenshot({ path: join(out, 'actors-list.png') });
  await page.goto(`/actors/${firstId}`);
  await page.screenshot({ path: join(out, 'actor-detail.png'), fullPage: true });
  await page.goto('/actors/new');
  await page.getByLabel('CVR-nummer').fill('12345678');
  await page.getByRole('button', { name: 'Opret aktør' }).click();
  await page.waitForSelector('#error-summary');
  await page.screenshot({ path: join(out, 'actor-form-errors.png') });
  await page.goto(`/grant-rounds/${round.id}`);
  await page.screenshot({ path: join(out, 'grant-round.png'), fullPage: true });
  console.log(`Screenshots written to ${out}`);
} finally {
  await browser.close();
  await app.close();
  await database.close();
}
