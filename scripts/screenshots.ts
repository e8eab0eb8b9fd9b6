// Takes the README's screenshots: `npm run screenshots`. Starts Samspil on a throwaway in-memory
// database, registers a few realistic actors through the JSON API (as coordinators of four
// municipalities), signs in with Debian's Chromium and photographs the main pages at 1280 px.
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { DEMO_PASSWORD, ensureDemoData } from '../src/demo.ts';
import { system } from '../src/lib/principal.ts';
import { launchChromium } from '../test/browser/browser.ts';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'screenshots');
mkdirSync(out, { recursive: true });

const WIDTH = 1280;
/** Tall pages are cut here, to keep each PNG small. */
const MAX_HEIGHT = 1800;

const database = await openDatabase({ kind: 'pglite', dataDir: '' }, { inMemory: true });
await migrateDatabase(database);
const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }), { database, logger: false });
const base = await app.listen({ port: 0, host: '127.0.0.1' });

const password = 'en lang adgangskode';
const { accounts } = app.services;
const admin = await accounts.createUser(
  system,
  { email: 'karin@kk.dk', name: 'Karin Lund', password, role: 'admin', municipalityCode: 101 },
  { system: true },
);

/** A coordinator of the municipality with an API token, for registering that municipality's actors. */
async function apiClient(municipalityCode: number, email: string, name: string) {
  const user =
    municipalityCode === 101
      ? admin
      : await accounts.createUser(
          system,
          { email, name, password, role: 'coordinator', municipalityCode },
          { system: true },
        );
  const { token } = await accounts.createApiToken(system, user.id, 'screenshots');
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(new URL(path, base), {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json as T;
  };
}

const api = {
  101: await apiClient(101, 'karin@kk.dk', 'Karin Lund'),
  751: await apiClient(751, 'anders@aarhus.dk', 'Anders Holm'),
  851: await apiClient(851, 'sofie@aalborg.dk', 'Sofie Kjær'),
  461: await apiClient(461, 'mads@odense.dk', 'Mads Nielsen'),
};

const { items: groups } = await api[101]<{ items: { id: number; nameDa: string }[] }>(
  'GET',
  '/api/v1/target-groups?limit=500',
);
const group = (name: string) => {
  const g = groups.find((x) => x.nameDa === name);
  if (!g) throw new Error(`no target group named ${name}`);
  return g.id;
};

/** A CVR number that passes modulus-11 (weights 2,7,6,5,4,3,2,1), made from 7 digits. */
function cvr(first7: string): string {
  const weights = [2, 7, 6, 5, 4, 3, 2];
  for (let n = Number(first7); ; n++) {
    const digits = String(n).padStart(7, '0');
    const sum = [...digits].reduce((s, d, i) => s + Number(d) * (weights[i] as number), 0);
    const check = (11 - (sum % 11)) % 11;
    if (check < 10) return `${digits}${check}`;
  }
}

type Code = keyof typeof api;
const actors: (Record<string, unknown> & { name: string; homeMunicipalityCode: Code })[] = [
  {
    name: 'Kirkens Korshær Natcafé',
    cvr: '10150817',
    orgType: 'association',
    roles: ['inclusion_arena', 'service_provider'],
    underServiceAct: false,
    description: 'Natcafé og varmestue for hjemløse og socialt udsatte. Åbent hver nat fra kl. 22 til 6.',
    website: 'https://www.kirkenskorshaer.dk',
    homeMunicipalityCode: 101,
    municipalityCodes: [101, 147],
    targetGroupIds: [group('Hjemløshed'), group('Stofmisbrug')],
    contacts: [
      { name: 'Jonas Madsen', role: 'Daglig leder', email: 'jonas@example.dk', phone: '33 12 34 56' },
      { name: 'Birgitte Holm', role: 'Frivilligkoordinator', email: 'birgitte@example.dk' },
    ],
  },
  {
    name: 'Strikkecaféen på Nørrebro',
    orgType: 'informal_group',
    roles: ['inclusion_arena'],
    description: 'Et fællesskab hver torsdag på biblioteket for alle, der har lyst til at strikke og snakke.',
    homeMunicipalityCode: 101,
    municipalityCodes: [101],
    targetGroupIds: [group('Social isolation')],
    contacts: [{ name: 'Lone Berg', phone: '20 30 40 50' }],
  },
  {
    name: 'Bydelsmødrene København',
    cvr: cvr('3712640'),
    orgType: 'social_enterprise',
    roles: ['inclusion_arena', 'advocate'],
    homeMunicipalityCode: 101,
    municipalityCodes: [101, 147, 151],
    targetGroupIds: [group('Social isolation')],
    contacts: [{ name: 'Amina Yousef', role: 'Projektleder', email: 'amina@example.dk' }],
  },
  {
    name: 'Foreningen Gadens Stemme',
    cvr: cvr('3390215'),
    orgType: 'association',
    roles: ['advocate'],
    description: 'Brugerorganisation for mennesker med erfaring fra et liv på gaden.',
    homeMunicipalityCode: 751,
    municipalityCodes: [751, 101],
    targetGroupIds: [group('Hjemløshed')],
    contacts: [{ name: 'Peter Lauridsen', role: 'Formand', email: 'formand@example.dk' }],
  },
  {
    name: 'Gadefodbold Aarhus',
    orgType: 'informal_group',
    roles: ['inclusion_arena'],
    homeMunicipalityCode: 751,
    municipalityCodes: [751],
    targetGroupIds: [group('Social isolation'), group('Hjemløshed')],
    contacts: [{ name: 'Ali Hassan', phone: '61 22 33 44' }],
  },
  {
    name: 'Selvhjælp for Pårørende Aalborg',
    cvr: cvr('4105532'),
    orgType: 'association',
    roles: ['inclusion_arena', 'advocate'],
    homeMunicipalityCode: 851,
    municipalityCodes: [851],
    targetGroupIds: [group('Psykiske vanskeligheder')],
    contacts: [{ name: 'Hanne Sørensen', role: 'Tovholder', email: 'hanne@example.dk' }],
  },
  {
    name: 'Fonden Husly Odense',
    cvr: cvr('2987764'),
    orgType: 'foundation',
    roles: ['service_provider'],
    underServiceAct: true,
    description: 'Midlertidigt botilbud efter servicelovens § 110 med 24 pladser.',
    homeMunicipalityCode: 461,
    municipalityCodes: [461],
    targetGroupIds: [group('Hjemløshed'), group('Alkoholmisbrug')],
    contacts: [{ name: 'Mads Nielsen', role: 'Forstander', email: 'mads@example.dk', phone: '66 11 22 33' }],
  },
  {
    name: 'Sundhedsklinikken for Stofbrugere',
    cvr: cvr('3550981'),
    orgType: 'self_governing_institution',
    roles: ['service_provider'],
    underServiceAct: true,
    homeMunicipalityCode: 101,
    municipalityCodes: [101],
    targetGroupIds: [group('Stofmisbrug')],
    contacts: [{ name: 'Sara Winther', role: 'Sygeplejerske' }],
  },
];

const ids: Record<string, number> = {};
for (const a of actors) {
  const created = await api[a.homeMunicipalityCode]<{ id: number }>('POST', '/api/v1/actors?allowSimilar=true', a);
  ids[a.name] = created.id;
}
const actorId = (name: string) => ids[name] ?? 0;

// A round with a few decided grants, for the overview.
const principal = { userId: admin.id, municipalityCode: 101, role: 'admin' as const, name: admin.name };
const round = await app.services.grants.createRound(principal, {
  year: 2026,
  name: '§ 18-puljen 2026',
  budgetOre: 250_000_000,
});
const awards: [string, string, number, [string, number][]][] = [
  [
    'Kirkens Korshær Natcafé',
    'Natcafé hele året',
    12_000_000,
    [
      ['Hjemløshed', 8_000_000],
      ['Stofmisbrug', 4_000_000],
    ],
  ],
  ['Strikkecaféen på Nørrebro', 'Strikkecafé og fællesspisning', 1_500_000, [['Social isolation', 1_500_000]]],
  ['Bydelsmødrene København', 'Bydelsmødre i Nordvest', 6_000_000, [['Social isolation', 6_000_000]]],
];
for (const [actor, title, amount, split] of awards) {
  const grant = await app.services.grants.apply(principal, {
    roundId: round.id,
    actorId: actorId(actor),
    title,
    kind: 'money',
    requestedOre: amount + 500_000,
  });
  await app.services.grants.transition(principal, grant.id, {
    to: 'approved',
    version: 1,
    awardedOre: amount,
    allocations: split.map(([name, amountOre]) => ({ targetGroupId: group(name), amountOre })),
  });
}

const browser = await launchChromium();
try {
  const page = await browser.newPage({ baseURL: base, viewport: { width: WIDTH, height: 900 }, locale: 'da-DK' });
  /** The whole page from the top, cut at maxHeight. */
  const shoot = async (file: string, maxHeight = MAX_HEIGHT) => {
    const height = Math.min(await page.evaluate(() => document.documentElement.scrollHeight), maxHeight);
    const path = join(out, file);
    await page.screenshot({ path, fullPage: true, clip: { x: 0, y: 0, width: WIDTH, height } });
    console.log(`${file}: ${WIDTH}×${height}, ${Math.round(statSync(path).size / 1024)} KB`);
  };

  await page.goto('/login');
  await page.getByLabel('E-mail (skal udfyldes)').fill('karin@kk.dk');
  await page.getByLabel('Adgangskode (skal udfyldes)').fill(password);
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.waitForURL((u) => u.pathname === '/');
  await page.goto('/actors');
  await shoot('actors-list.png');

  await page.goto(`/actors/${actorId('Kirkens Korshær Natcafé')}`);
  await shoot('actor-detail.png');

  await page.goto('/actors/new');
  await page.getByLabel('CVR-nummer').fill('12345678');
  await page.getByRole('button', { name: 'Opret aktør' }).click();
  await page.waitForSelector('#error-summary');
  // The error summary and the fields with errors; the rest of the long form is left out.
  await shoot('actor-form-errors.png', 1290);

  await page.goto(`/grant-rounds/${round.id}`);
  await shoot('grant-round.png');

  // An import of last year's grant list, at its preview: one name to confirm.
  const csv = join(mkdtempSync(join(tmpdir(), 'samspil-shot-')), 'bevillinger-2025.csv');
  writeFileSync(
    csv,
    [
      'Sagsnr;Forening;CVR-nr;Projekt;År;Ansøgt beløb;Bevilget beløb;Målgruppe',
      'S-101;Korshærens Natcafé;;Natcafé hele året;2025;130.000;120.000;Hjemløshed',
      'S-102;Strikkecaféen på Nørrebro;;Strikkecafé;2025;20.000;15.000;Social isolation',
      'S-103;Mødrehjælpen Amager;;Mødregruppe;2025;40.000;35.000;Social isolation',
    ].join('\r\n'),
  );
  await page.goto('/imports');
  await page.getByLabel('Fil', { exact: true }).setInputFiles(csv);
  await page.getByRole('button', { name: 'Læs filen' }).click();
  await page.waitForURL(/\/imports\/\d+$/);
  await page.getByRole('button', { name: 'Kontrollér rækkerne' }).click();
  await page.getByRole('heading', { name: 'Er det de samme aktører?' }).waitFor();
  await shoot('import-preview.png');

  // The demo data, in an app of its own, for the follow-up page, an agreement and the report.
  const demoDatabase = await openDatabase({ kind: 'pglite', dataDir: '' }, { inMemory: true });
  await migrateDatabase(demoDatabase);
  const demoApp = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }), { database: demoDatabase, logger: false });
  const demoBase = await demoApp.listen({ port: 0, host: '127.0.0.1' });
  await ensureDemoData(demoApp);
  await page.context().clearCookies();
  await page.goto(`${demoBase}/login`);
  await page.getByLabel('E-mail (skal udfyldes)').fill('koordinator@demo.samspil.dk');
  await page.getByLabel('Adgangskode (skal udfyldes)').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.waitForURL((u) => u.pathname === '/');
  await shoot('follow-up.png');
  await page.getByRole('link', { name: 'Aftaler', exact: true }).click();
  await page.getByRole('link', { name: 'Samarbejde om natcaféen' }).click();
  await page.waitForURL(/\/agreements\/\d+$/);
  await shoot('agreement.png', 2200);
  await page.goto(`${demoBase}/reports/proportionality?area=municipality:101&year=${new Date().getFullYear()}`);
  await page.getByRole('link', { name: /Fold ud: Misbrug/ }).click();
  await page.waitForSelector('text=Stofmisbrug');
  await page.getByRole('link', { name: /Fold ud: Stofmisbrug/ }).click();
  await page.waitForSelector('text=Meget belastede stofmisbrugere');
  await shoot('proportionality.png', 2000);
  await demoApp.close();
  await demoDatabase.close();
  console.log(`Screenshots written to ${out}`);
} finally {
  await browser.close();
  await app.close();
  await database.close();
}
