import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { addDays, addMonths, danishDate } from './lib/dates.ts';
import type { Principal, Role } from './lib/principal.ts';
import { system } from './lib/principal.ts';
import { serve } from './serve.ts';

/**
 * `npm run demo`: Samspil with a small, realistic, deterministic data set for Region Hovedstaden,
 * and one login per role. Seeds once; a second start on the same data finds it and only starts.
 */
export const DEMO_PASSWORD = 'samspil-demo-2026';
export const DEMO_USERS: { email: string; name: string; role: Role; municipalityCode: number }[] = [
  { email: 'admin@demo.samspil.dk', name: 'Anne Administrator', role: 'admin', municipalityCode: 101 },
  { email: 'koordinator@demo.samspil.dk', name: 'Karin Koordinator', role: 'coordinator', municipalityCode: 101 },
  { email: 'oekonomi@demo.samspil.dk', name: 'Frida Økonomi', role: 'finance', municipalityCode: 101 },
  { email: 'laeser@demo.samspil.dk', name: 'Lars Læser', role: 'viewer', municipalityCode: 101 },
  { email: 'frederiksberg@demo.samspil.dk', name: 'Fie Frederiksberg', role: 'coordinator', municipalityCode: 147 },
];

/** The region's municipalities in the demo. */
const MUNICIPALITIES = [101, 147, 157, 173, 185];
/** The administrators of the other municipalities, by municipality code. */
const OTHER_ADMINS: Record<number, string> = {
  147: 'Pernille Vang',
  157: 'Henrik Lund',
  173: 'Sofie Dam',
  185: 'Ole Berg',
};

const ACTORS: {
  name: string;
  roles: ('advocate' | 'inclusion_arena' | 'service_provider')[];
  groups: string[];
  home: number;
  also: number[];
  cvr?: string;
  orgType: 'association' | 'self_governing_institution' | 'foundation' | 'social_enterprise' | 'informal_group';
  /** The contact person: an invented name, as demo data should look like real data. */
  contact: { name: string; role: string };
}[] = [
  {
    name: 'Kirkens Korshær Natcafé',
    roles: ['service_provider'],
    groups: ['Hjemløshed', 'Stofmisbrug'],
    home: 101,
    also: [147],
    orgType: 'self_governing_institution',
    contact: { name: 'Birgitte Holm', role: 'Daglig leder' },
    cvr: '15557516',
  },
  {
    name: 'Værestedet Mændenes Hjem',
    roles: ['service_provider', 'inclusion_arena'],
    groups: ['Stofmisbrug', 'Hjemløshed'],
    home: 101,
    also: [],
    orgType: 'self_governing_institution',
    contact: { name: 'Jesper Winther', role: 'Forstander' },
  },
  {
    name: 'Foreningen Gadens Stemme',
    roles: ['advocate'],
    groups: ['Hjemløshed'],
    home: 101,
    also: [147, 185],
    orgType: 'association',
    contact: { name: 'Torben Nielsen', role: 'Formand' },
  },
  {
    name: 'Blå Kors Varmestue',
    roles: ['service_provider'],
    groups: ['Alkoholmisbrug', 'Hjemløshed'],
    home: 147,
    also: [101],
    orgType: 'self_governing_institution',
    contact: { name: 'Hanne Bech', role: 'Leder' },
  },
  {
    name: 'Frivilligcentret Frederiksberg',
    roles: ['inclusion_arena'],
    groups: ['Social isolation'],
    home: 147,
    also: [],
    orgType: 'association',
    contact: { name: 'Maja Krogh', role: 'Frivilligkoordinator' },
  },
  {
    name: 'Lyngby Besøgsvenner',
    roles: ['inclusion_arena'],
    groups: ['Social isolation'],
    home: 173,
    also: [157],
    orgType: 'association',
    contact: { name: 'Inger Dahl', role: 'Formand' },
  },
  {
    name: 'Gentofte Sorggruppe',
    roles: ['inclusion_arena'],
    groups: ['Depression'],
    home: 157,
    also: [],
    orgType: 'informal_group',
    contact: { name: 'Poul Riis', role: 'Tovholder' },
  },
  {
    name: 'SIND Tårnby',
    roles: ['advocate', 'inclusion_arena'],
    groups: ['Angst', 'Depression'],
    home: 185,
    also: [101],
    orgType: 'association',
    contact: { name: 'Camilla Lauridsen', role: 'Formand' },
  },
  {
    name: 'Lektiecaféen Nørrebro',
    roles: ['inclusion_arena'],
    groups: ['Andet socialt problem'],
    home: 101,
    also: [],
    orgType: 'association',
    contact: { name: 'Yasmin Ali', role: 'Koordinator' },
  },
  {
    name: 'Reden København',
    roles: ['service_provider'],
    groups: ['Prostitution'],
    home: 101,
    also: [],
    orgType: 'self_governing_institution',
    contact: { name: 'Lise Kjær', role: 'Leder' },
  },
  {
    name: 'Strikkeklubben i Sydhavnen',
    roles: ['inclusion_arena'],
    groups: ['Social isolation'],
    home: 101,
    also: [],
    orgType: 'informal_group',
    contact: { name: 'Grethe Møller', role: 'Tovholder' },
  },
  {
    name: 'Fixelokalet på Vesterbro',
    roles: ['service_provider'],
    groups: ['Meget belastede stofmisbrugere'],
    home: 101,
    also: [],
    orgType: 'social_enterprise',
    contact: { name: 'Rasmus Friis', role: 'Projektleder' },
  },
];

async function seed(app: FastifyInstance): Promise<void> {
  const s = app.services;
  for (const u of DEMO_USERS) await s.accounts.createUser(system, { ...u, password: DEMO_PASSWORD }, { system: true });
  const who = async (email: string): Promise<Principal> => {
    const u = await s.accounts.findUserByEmail(email);
    if (!u) throw new Error(email);
    return { userId: u.id, municipalityCode: u.municipalityCode, role: u.role, name: u.name } as Principal;
  };
  const admin = await who('admin@demo.samspil.dk');
  const coordinator = await who('koordinator@demo.samspil.dk');
  const finance = await who('oekonomi@demo.samspil.dk');
  const admins = new Map<number, Principal>([[101, admin]]);
  for (const code of MUNICIPALITIES.filter((c) => c !== 101)) {
    await s.accounts.createUser(
      system,
      {
        email: `admin.${code}@demo.samspil.dk`,
        name: OTHER_ADMINS[code] ?? `Administrator, kommune ${code}`,
        password: DEMO_PASSWORD,
        role: 'admin',
        municipalityCode: code,
      },
      { system: true },
    );
    admins.set(code, await who(`admin.${code}@demo.samspil.dk`));
  }

  const groups = await s.targetGroups.list();
  const group = (name: string) => {
    const g = groups.find((x) => x.nameDa === name);
    if (!g) throw new Error(`no group ${name}`);
    return g.id;
  };
  // The underserved group: heavy drug users, a local group under Stofmisbrug.
  const heavy = await s.targetGroups.addLocal(admin, {
    nameDa: 'Meget belastede stofmisbrugere',
    parentId: group('Stofmisbrug'),
    municipalityCode: 101,
  });
  const groupId = (name: string) => (name === heavy.nameDa ? heavy.id : group(name));

  const actorIds = new Map<string, number>();
  for (const a of ACTORS) {
    const actor = await s.actors.register(
      admins.get(a.home) as Principal,
      {
        name: a.name,
        cvr: a.cvr,
        orgType: a.orgType,
        roles: a.roles,
        homeMunicipalityCode: a.home,
        municipalityCodes: a.also,
        targetGroupIds: a.groups.map(groupId),
        contacts: [{ ...a.contact, email: `${a.contact.name.split(' ')[0]?.toLowerCase()}@example.dk` }],
        underServiceAct: a.roles.includes('service_provider'),
        status: 'active',
        description: `${a.name} arbejder med ${a.groups.join(' og ').toLowerCase()}.`,
      },
      { allowSimilar: true },
    );
    actorIds.set(a.name, actor.id);
  }
  const actor = (name: string) => actorIds.get(name) as number;

  // § 18 rounds for last year and this year in København, with grants; heavy drug users get little.
  const year = Number(danishDate().slice(0, 4));
  const grantsPlan: [string, string, number][] = [
    ['Kirkens Korshær Natcafé', 'Hjemløshed', 450_000],
    ['Blå Kors Varmestue', 'Alkoholmisbrug', 300_000],
    ['Foreningen Gadens Stemme', 'Hjemløshed', 120_000],
    ['SIND Tårnby', 'Angst', 90_000],
    ['Lektiecaféen Nørrebro', 'Andet socialt problem', 80_000],
    ['Reden København', 'Prostitution', 200_000],
    ['Strikkeklubben i Sydhavnen', 'Social isolation', 15_000],
    ['Fixelokalet på Vesterbro', 'Meget belastede stofmisbrugere', 20_000],
  ];
  for (const y of [year - 1, year]) {
    const round = await s.grants.createRound(finance, {
      year: y,
      name: `§ 18-puljen ${y}`,
      budgetOre: 150_000_000,
      decisionOn: `${y}-04-01`,
    });
    // Opened for applications, then closed and decided once the awards are made, as a round goes.
    await s.grants.advanceRound(finance, round.id, round.version);
    for (const [name, target, kroner] of grantsPlan) {
      const g = await s.grants.apply(finance, {
        roundId: round.id,
        actorId: actor(name),
        title: `Tilskud til ${name}`,
        purpose: 'Frivilligt socialt arbejde efter serviceloven § 18',
        kind: 'money',
        requestedOre: kroner * 120,
      });
      const approved = await s.grants.transition(finance, g.id, {
        to: 'approved',
        version: g.version,
        awardedOre: kroner * 100,
        decisionOn: `${y}-04-01`,
        targetGroupId: groupId(target),
      });
      if (y < year) {
        const paid = await s.grants.updateGrant(finance, g.id, {
          version: approved.version,
          payments: [{ kind: 'payment', paidOn: `${y}-05-01`, amountOre: kroner * 100 }],
        });
        await s.grants.transition(finance, g.id, { to: 'paid', version: paid.version });
      }
    }
    for (let step = 0; step < 2; step++) {
      const current = await s.grants.getRound(round.id);
      await s.grants.advanceRound(finance, round.id, current.version);
    }
  }
  // Need estimates: heavy drug users are a tenth of the need, with about a hundredth of the money.
  const needs: [string, number, string][] = [
    ['Hjemløshed', 1_100, 'Hjemløsetællingen'],
    ['Alkoholmisbrug', 900, 'Sundhedsprofilen'],
    ['Meget belastede stofmisbrugere', 450, 'Misbrugscentret'],
    ['Prostitution', 250, 'Reden'],
    ['Social isolation', 1_000, 'Sundhedsprofilen'],
    ['Angst', 600, 'Psykiatrien'],
    ['Depression', 200, 'Psykiatrien'],
  ];
  for (const y of [year - 1, year])
    await s.needEstimates.replace(
      finance,
      101,
      y,
      needs.map(([name, people, source]) => ({ targetGroupId: groupId(name), people, source })),
    );

  // Agreements with meetings and action items; one due for its meeting, one ending soon.
  const today = danishDate();
  const natcafe = await s.agreements.create(coordinator, {
    title: 'Samarbejde om natcaféen',
    kind: 'formal',
    purpose: 'Et trygt sted om natten for hjemløse og misbrugere',
    frame: 'Kommunen stiller en sagsbehandler til rådighed; foreningen driver caféen med frivillige.',
    actorIds: [actor('Kirkens Korshær Natcafé'), actor('Værestedet Mændenes Hjem')],
    targetGroupIds: [group('Hjemløshed'), heavy.id],
    responsibilities: [
      { party: 'Kommunen', responsibility: 'Sagsbehandler til stede tirsdag 10–12' },
      { party: 'Kirkens Korshær', responsibility: 'Frivillige vagter og lokaler' },
    ],
    startsOn: addMonths(today, -10),
    endsOn: addDays(today, 45),
    reviewOn: addDays(today, 20),
    meetingIntervalMonths: 3,
    coordinatorUserId: coordinator.userId,
    grantIds: [],
    status: 'active',
  });
  const meeting = await s.agreements.logMeeting(coordinator, natcafe.id, {
    heldOn: addMonths(today, -4),
    participants: 'Karin Koordinator, lederen af natcaféen',
    notes: 'Flere gæster om vinteren. Brug for flere frivillige.',
    decisions: 'Rekruttér frivillige til weekendvagter.',
    actionItems: [
      { text: 'Lav opslag om frivillige', ownerUserId: coordinator.userId, dueOn: addDays(today, -10) },
      { text: 'Aftal lokaler til julefrokost', ownerName: 'Natcaféens leder', dueOn: addDays(today, 14) },
    ],
  });
  void meeting;
  await s.agreements.create(coordinator, {
    title: 'Uformelt samarbejde med Strikkeklubben',
    kind: 'informal',
    actorIds: [actor('Strikkeklubben i Sydhavnen')],
    targetGroupIds: [group('Social isolation')],
    responsibilities: [],
    startsOn: addMonths(today, -2),
    meetingIntervalMonths: 6,
    grantIds: [],
    status: 'active',
  });
  await s.outreach.create(coordinator, {
    actorId: actor('Kirkens Korshær Natcafé'),
    kind: 'casework',
    unit: 'Sagsbehandler fra Borgerservice',
    weekdays: [2],
    dates: [],
    startsAt: '10:00',
    endsAt: '12:00',
    periodStart: addMonths(today, -6),
  });
  await s.outreach.create(coordinator, {
    actorId: actor('Fixelokalet på Vesterbro'),
    kind: 'health_check',
    unit: 'Sygeplejerske fra gadeholdet',
    weekdays: [4],
    dates: [],
    startsAt: '13:00',
    endsAt: '15:00',
    periodStart: addMonths(today, -1),
  });
}

/** Seeds the demo data unless it is there already. Returns whether it seeded. */
export async function ensureDemoData(app: FastifyInstance): Promise<boolean> {
  if (await app.services.accounts.findUserByEmail(DEMO_USERS[0]?.email ?? '')) return false;
  await seed(app);
  return true;
}

async function main() {
  const config = loadConfig();
  const app = await buildApp(config);
  const seeded = await ensureDemoData(app);
  const address = `http://${config.host}:${config.port}`;
  console.log(
    [
      '',
      seeded ? 'Samspil demo: the demo data is written.' : 'Samspil demo: the demo data was there already.',
      `Open ${address} and sign in with one of these (password: ${DEMO_PASSWORD}):`,
      ...DEMO_USERS.map((u) => `  ${u.role.padEnd(12)} ${u.email}  (${u.name}, ${u.municipalityCode})`),
      '',
    ].join('\n'),
  );
  await serve(app, config);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
