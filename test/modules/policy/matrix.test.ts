import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type SQL, sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import t from 'tap';
import { addDays, addMonths, danishDate } from '../../../src/lib/dates.ts';
import { type Role, system } from '../../../src/lib/principal.ts';
import { actorInput, validCvr } from '../../factories.ts';
import { buildTestApp, type Client, type TestApp } from '../../helper.ts';
import { associationForm, visitor } from '../applications/fixture.ts';

/**
 * The access policy as a table: every mutating route, HTML and API, × each role × the caller's own
 * municipality (101 København) and a foreign one (751 Aarhus), with the status it must answer and
 * where (if anywhere) the write must land. The rules are written out here, not imported from
 * src/lib/policy.ts, so the test does not agree with the code by construction:
 *
 *   actors, contacts, local target groups  admin, coordinator  own municipality only
 *   grant rounds, grants                   admin, finance      own municipality only
 *   agreements, meetings, action items     admin, coordinator  own municipality only
 *   need estimates                         admin, finance      own municipality only
 *   users                                  admin               own municipality only
 *   reviews of applications (scores,      admin, coordinator,  own municipality only; another
 *   conflicts of interest)                 finance              municipality's application is 404
 *   one's own account (API keys, logout)   every role
 *   an application's actor, its review     admin, coordinator, finance  own municipality; another's: 404
 *
 * After each call the database is read back: a refused write left nothing behind, an allowed one
 * landed in the caller's own municipality and never in another. Every 403 is in the audit trail
 * (entity 'access', action 'denied') with the caller and the route.
 */

const OWN = 101;

/**
 * One app for the file: each test works with users and records it makes itself, and compares the
 * audit trail with what it held before, or reads it by its own users' ids.
 */
const h: TestApp = await buildTestApp(t);

/** An outreach presence at an actor: Tuesdays 10–12 in spring 2027. */
const outreachBody = (actorId: number, unit: string) => ({
  actorId,
  kind: 'casework',
  unit,
  weekdays: [2],
  startsAt: '10:00',
  endsAt: '12:00',
  periodStart: '2027-03-01',
});
const FOREIGN = 751;
const roles: Role[] = ['admin', 'coordinator', 'finance', 'viewer'];
type Scope = 'own' | 'foreign';
const scopes: Scope[] = ['own', 'foreign'];
type Area =
  | 'actors'
  | 'targetGroups'
  | 'grants'
  | 'agreements'
  | 'needEstimates'
  | 'reviews'
  | 'users'
  | 'applications'
  | 'account'
  | 'setup';

const WRITERS: Record<Exclude<Area, 'account' | 'setup'>, Role[]> = {
  actors: ['admin', 'coordinator'],
  targetGroups: ['admin', 'coordinator'],
  grants: ['admin', 'finance'],
  agreements: ['admin', 'coordinator'],
  needEstimates: ['admin', 'finance'],
  reviews: ['admin', 'coordinator', 'finance'],
  users: ['admin'],
  applications: ['admin', 'coordinator', 'finance'],
};

/** What a call must answer, and the municipality its write must land in (null: nothing written). */
interface Expect {
  status: number;
  landsIn: number | null;
}

/** The records one case works on, in the municipality of the scope, made by that municipality's admin. */
interface Fixture {
  code: number;
  actorId: number;
  contactId: number;
  roundId: number;
  grantId: number;
  paymentId: number;
  userId: number;
  tokenId: number;
  agreementId: number;
  actionItemId: number;
  outreachId: number;
  actor2Id: number;
  applicationId: number;
  criterionId: number;
  /** A report sent through an application's link on the grant (applications.reports.ts). */
  reportId: number;
}
type Need =
  | 'applicationReport'
  | 'matchedApplication'
  | 'actor'
  | 'round'
  | 'grant'
  | 'approvedGrant'
  | 'payment'
  | 'agreement'
  | 'endedAgreement'
  | 'actionItem'
  | 'outreach'
  | 'actorPair'
  | 'user'
  | 'inactiveUser'
  | 'userSession'
  | 'token'
  | 'application';

interface Row {
  method: 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** The route as registered (with :params): the completeness check compares these with the source. */
  route: string;
  /** A short label for the summary, when one route has several rows. */
  label?: string;
  area: Area;
  ok: number;
  needs?: Need[];
  scopes?: Scope[];
  url(fx: Fixture): string;
  payload?(fx: Fixture, tag: string, client: Client): Record<string, unknown>;
  /** Where the write landed: the municipality of the changed or created record, or null. */
  landsIn(fx: Fixture, tag: string, client: Client): Promise<number | null>;
  /** Overrides the policy's expectation (routes that ignore a foreign municipality, the account's own routes). */
  expect?(role: Role, scope: Scope): Expect;
  /** A client of its own (logout ends the session it is sent with). */
  freshClient?: boolean;
}

/** An application's handling: its round's municipality's handlers; a viewer 403; another municipality 404. */
const applicationPolicy = (role: Role, scope: Scope): Expect =>
  scope === 'foreign'
    ? { status: 404, landsIn: null }
    : WRITERS.applications.includes(role)
      ? { status: 303, landsIn: OWN }
      : { status: 403, landsIn: null };

/** The policy's answer for an area: the route's success status in one's own municipality, else 403. */
function policy(area: Area, role: Role, scope: Scope, ok: number): Expect {
  if (area === 'account') return { status: ok, landsIn: OWN };
  if (area === 'setup') return { status: ok, landsIn: null };
  const allowed = scope === 'own' && WRITERS[area].includes(role);
  return allowed ? { status: ok, landsIn: OWN } : { status: 403, landsIn: null };
}

/** For forms that always write to the caller's own municipality, whatever municipality they are sent. */
const ownOnly =
  (area: Area, ok: number) =>
  (role: Role): Expect =>
    policy(area, role, 'own', ok);

/** Routes in src/modules, read from the source: each match of `pattern` gives one, from `key`. */
function routesInSource(pattern: RegExp, key: (m: RegExpMatchArray) => string): string[] {
  const dir = fileURLToPath(new URL('../../../src/modules/', import.meta.url));
  const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  const found = new Set<string>();
  for (const file of files) {
    for (const m of readFileSync(join(dir, file), 'utf8').matchAll(pattern)) found.add(key(m));
  }
  return [...found].sort();
}

/** Mutating routes in src/modules, read from the source: `app.post('/path'` and the like. */
const mutatingRoutesInSource = () =>
  routesInSource(
    /\bapp\.(post|put|patch|delete)\(\s*['"`]([^'"`]+)['"`]/g,
    (m) => `${(m[1] as string).toUpperCase()} ${m[2]}`,
  );

/** Public routes with no signed-in policy to test here; security.test.ts covers them. */
const NOT_IN_MATRIX: Record<string, string> = {
  'POST /login': 'signing in: public, CSRF and rate limit in test/modules/security.test.ts',
  'POST /password/forgotten': 'public by design, the same answer for every address: test/modules/mail/pipeline.test.ts',
  'POST /password/reset': 'public, authorised by the token in the link: test/modules/mail/pipeline.test.ts',
  'POST /imports': 'a multipart upload: roles, kinds and municipalities in test/modules/imports/imports.test.ts',
  'POST /api/v1/imports': 'a multipart upload: roles, kinds and municipalities in test/modules/imports/imports.test.ts',
  'POST /imports/:id/columns':
    'needs an uploaded file: roles and municipalities in test/modules/imports/imports.test.ts',
  'POST /imports/:id/commit':
    'needs an uploaded file: roles and municipalities in test/modules/imports/imports.test.ts',
  'POST /imports/:id/retry': 'needs an uploaded file: roles and municipalities in test/modules/imports/imports.test.ts',
  'POST /api/v1/imports/:id/commit':
    'needs an uploaded file: roles and municipalities in test/modules/imports/imports.test.ts',
  'POST /mail/unsubscribe':
    'public: the HMAC in the link is the authentication; forged and foreign links in test/modules/mail/digests.test.ts',
  'POST /need-estimates/import':
    'a multipart upload: its roles and municipalities in test/modules/reports/need-estimates.test.ts',
  'POST /public/rounds/:id/apply':
    'public by design (anyone applies), rate-limited: test/modules/applications/applying.test.ts and documents.test.ts',
  'POST /public/applications/:token':
    'public, authorised by the token in the link; foreign and forged links in test/modules/applications/applying.test.ts',
  'POST /applications/:id/questions':
    'needs a sent application: every role × own and foreign municipality in test/modules/applications/questions.test.ts',
  'POST /public/applications/:token/questions/:questionId':
    "public, authorised by the token in the link; another application's and forged links in test/modules/applications/questions.test.ts",
  'POST /public/applications/:token/report':
    'public, authorised by the token in the link; foreign and forged links in test/modules/applications/reports.test.ts',
  'POST /public/applications/:token/documents':
    'a multipart upload behind the link; foreign links, limits and types in test/modules/applications/documents.test.ts',
};

/**
 * An admin of each municipality (who makes the records), and a user of each role in the own one: all
 * new, so what a test finds in the audit trail by its users' ids is its own.
 */
async function matrixClients(h: TestApp) {
  const admin = await h.as('admin', OWN);
  const owners: Record<number, Client> = { [OWN]: admin, [FOREIGN]: await h.as('admin', FOREIGN) };
  const clients: Record<Role, Client> = {
    admin,
    coordinator: await h.as('coordinator', OWN),
    finance: await h.as('finance', OWN),
    viewer: await h.as('viewer', OWN),
  };
  return { owners, clients };
}

t.test('every mutating route × role × own and foreign municipality', async (t) => {
  const started = Date.now();
  const { owners, clients } = await matrixClients(h);
  const matrixUserIds = new Set(Object.values(clients).map((c) => c.user.id));
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
  }[];
  const stofmisbrug = groups.find((g) => g.nameDa === 'Stofmisbrug')?.id as number;
  t.ok(stofmisbrug, 'the FFB group "Stofmisbrug" is seeded');

  const one = async <T extends Record<string, unknown>>(query: SQL): Promise<T | undefined> =>
    (await h.database.rows<T>(query))[0];
  const codeOf = async (query: SQL): Promise<number | null> => {
    const row = await one<{ code: number | null }>(query);
    return row?.code === undefined || row.code === null ? null : Number(row.code);
  };

  let serial = 0;
  const PASSWORD = 'en lang og hemmelig adgangskode';

  /** The records a case needs, made through the API and forms by the municipality's own admin. */
  async function fixture(code: number, needs: Need[]): Promise<Fixture> {
    serial += 1;
    const owner = owners[code] as Client;
    const fx: Fixture = {
      code,
      actorId: 0,
      contactId: 0,
      roundId: 0,
      grantId: 0,
      paymentId: 0,
      userId: 0,
      tokenId: 0,
      agreementId: 0,
      actionItemId: 0,
      outreachId: 0,
      actor2Id: 0,
      applicationId: 0,
      criterionId: 0,
      reportId: 0,
    };
    const need = (n: Need) => needs.includes(n);
    if (
      [
        'actor',
        'grant',
        'approvedGrant',
        'applicationReport',
        'payment',
        'agreement',
        'endedAgreement',
        'actionItem',
        'outreach',
        'actorPair',
        'application',
      ].some((n) => need(n as Need))
    ) {
      const res = await owner.inject({
        method: 'POST',
        url: '/api/v1/actors?allowSimilar=true',
        payload: actorInput({
          name: `Matrixforening ${code} ${serial}`,
          homeMunicipalityCode: code,
          municipalityCodes: [code],
        }),
      });
      if (res.statusCode !== 201) throw new Error(`fixture actor: ${res.statusCode} ${res.body}`);
      fx.actorId = res.json().id;
      fx.contactId = res.json().contacts[0].id;
    }
    if (
      need('round') ||
      need('grant') ||
      need('approvedGrant') ||
      need('payment') ||
      need('application') ||
      need('applicationReport')
    ) {
      const res = await owner.inject({
        method: 'POST',
        url: '/api/v1/grant-rounds',
        payload: { year: 2026, name: `Matrixpulje ${code} ${serial}`, budgetOre: 10_000_000 },
      });
      if (res.statusCode !== 201) throw new Error(`fixture round: ${res.statusCode} ${res.body}`);
      fx.roundId = res.json().id;
    }
    if (need('grant') || need('approvedGrant') || need('payment') || need('applicationReport')) {
      const res = await owner.inject({
        method: 'POST',
        url: '/api/v1/grants',
        payload: { roundId: fx.roundId, actorId: fx.actorId, title: `Ansøgning ${serial}`, requestedOre: 100_000 },
      });
      if (res.statusCode !== 201) throw new Error(`fixture grant: ${res.statusCode} ${res.body}`);
      fx.grantId = res.json().id;
    }
    if (need('approvedGrant') || need('payment') || need('applicationReport')) {
      const res = await owner.inject({
        method: 'POST',
        url: `/api/v1/grants/${fx.grantId}/transitions`,
        payload: { to: 'approved', version: 1, awardedOre: 100_000, targetGroupId: stofmisbrug },
      });
      if (res.statusCode !== 200) throw new Error(`fixture approval: ${res.statusCode} ${res.body}`);
    }
    if (need('applicationReport')) {
      // The application the grant came from, approved, and the report its applicant sent through the link.
      const [report] = await h.database.rows<{ id: number }>(sql`
        with applicant as (
          insert into applicants (email) values (${`matrix${serial}@example.dk`}) returning id
        ), application as (
          insert into applications (round_id, applicant_id, status, contact_email, submitted_at, consent_at,
            grant_id, decided_at, decided_by)
          select ${fx.roundId}, applicant.id, 'approved', ${`matrix${serial}@example.dk`}, now(), now(),
            ${fx.grantId}, now(), ${owner.user.id} from applicant
          returning id
        )
        insert into application_reports (application_id, grant_id, what_was_done)
        select application.id, ${fx.grantId}, 'Aktiviteter' from application returning id`);
      fx.reportId = report?.id ?? 0;
    }
    if (need('payment')) {
      const res = await owner.inject({
        method: 'PATCH',
        url: `/api/v1/grants/${fx.grantId}`,
        payload: { version: 2, payments: [{ kind: 'payment', paidOn: '2026-05-01', amountOre: 50_000 }] },
      });
      if (res.statusCode !== 200) throw new Error(`fixture payment: ${res.statusCode} ${res.body}`);
      fx.paymentId = res.json().payments[0].id;
    }
    if (need('application')) {
      // A sent application to the round (the public form itself is tested in test/modules/applications).
      const [row] = await h.database.rows<{ id: number }>(
        sql`with applicant as (insert into applicants (email) values (${`matrix.${code}.${serial}@example.dk`}) returning id)
            insert into applications (round_id, applicant_id, status, organisation_name, contact_email, submitted_at, consent_at)
            select ${fx.roundId}, applicant.id, 'submitted', ${`Matrixansøger ${code} ${serial}`}, 'ansoeger@example.dk', now(), now()
            from applicant returning id`,
      );
      fx.applicationId = row?.id as number;
    }
    if (need('agreement') || need('actionItem') || need('endedAgreement')) {
      const res = await owner.inject({
        method: 'POST',
        url: '/api/v1/agreements',
        payload: {
          title: `Matrixaftale ${code} ${serial}`,
          kind: 'formal',
          actorIds: [fx.actorId],
          startsOn: '2026-01-01',
        },
      });
      if (res.statusCode !== 201) throw new Error(`fixture agreement: ${res.statusCode} ${res.body}`);
      fx.agreementId = res.json().id;
      if (need('endedAgreement')) {
        const ended = await owner.inject({
          method: 'PATCH',
          url: `/api/v1/agreements/${fx.agreementId}`,
          payload: { version: 1, status: 'ended' },
        });
        if (ended.statusCode !== 200) throw new Error(`fixture ending: ${ended.statusCode} ${ended.body}`);
      }
    }
    if (need('actionItem')) {
      const res = await owner.inject({
        method: 'POST',
        url: `/api/v1/agreements/${fx.agreementId}/meetings`,
        payload: { heldOn: '2026-02-01', actionItems: [{ text: `Punkt ${serial}` }] },
      });
      if (res.statusCode !== 201) throw new Error(`fixture meeting: ${res.statusCode} ${res.body}`);
      fx.actionItemId = res.json().actionItems[0].id;
    }
    if (need('actorPair')) {
      const res = await owner.inject({
        method: 'POST',
        url: '/api/v1/actors?allowSimilar=true',
        payload: actorInput({
          name: `Matrixdublet ${code} ${serial}`,
          homeMunicipalityCode: code,
          municipalityCodes: [],
        }),
      });
      if (res.statusCode !== 201) throw new Error(`fixture second actor: ${res.statusCode} ${res.body}`);
      fx.actor2Id = res.json().id;
    }
    if (need('outreach')) {
      const res = await owner.inject({
        method: 'POST',
        url: '/api/v1/outreach',
        payload: outreachBody(fx.actorId, `Matrixenhed ${serial}`),
      });
      if (res.statusCode !== 201) throw new Error(`fixture outreach: ${res.statusCode} ${res.body}`);
      fx.outreachId = res.json().id;
    }
    if (need('application')) {
      // An open round with one criterion, and an application sent to it through the public form.
      const today = danishDate();
      const round = await owner.inject({
        method: 'POST',
        url: '/api/v1/grant-rounds',
        payload: {
          year: 2026,
          name: `Matrixansøgninger ${code} ${serial}`,
          budgetOre: 10_000_000,
          applicationsOpenOn: addDays(today, -1),
          applicationsCloseOn: addDays(today, 10),
          criteria: [{ title: 'Kriterium' }],
        },
      });
      if (round.statusCode !== 201) throw new Error(`fixture application round: ${round.statusCode} ${round.body}`);
      const opened = await owner.inject({
        method: 'PATCH',
        url: `/api/v1/grant-rounds/${round.json().id}`,
        payload: { status: 'open', version: round.json().version },
      });
      if (opened.statusCode !== 200) throw new Error(`fixture opening: ${opened.statusCode} ${opened.body}`);
      fx.criterionId = round.json().criteria[0].id;
      const page = `/public/rounds/${round.json().id}/apply`;
      const v = await visitor(h.app, page, `198.51.100.${serial % 250}`);
      const sent = await v.post(
        page,
        associationForm(stofmisbrug, {
          contactEmail: `matrix.${serial}@forening.dk`,
          // Each its own CVR number: an actor made from one application must not find the last one's.
          cvr: validCvr(5_000_000 + serial * 7),
        }),
      );
      if (sent.statusCode !== 303) throw new Error(`fixture application: ${sent.statusCode}`);
      const [app] = await h.database.rows<{ id: number }>(
        sql`select id from applications where round_id = ${round.json().id}`,
      );
      fx.applicationId = app?.id as number;
      // Matched to the fixture's actor, as the inbox's confirm leaves it: what an approval needs.
      if (need('matchedApplication'))
        await h.database.rows(sql`update applications set actor_id = ${fx.actorId} where id = ${fx.applicationId}`);
    }
    if (need('user') || need('inactiveUser') || need('userSession')) {
      const email = `maal.${code}.${serial}@test.samspil.dk`;
      // With a password of their own (an admin's new user has none until the welcome link is used).
      const created = await h.app.services.accounts.createUser(
        system,
        { name: `Mål ${serial}`, email, password: PASSWORD, role: 'viewer', municipalityCode: code },
        { system: true },
      );
      fx.userId = created.id;
      if (need('userSession')) await h.app.services.accounts.login(email, PASSWORD, '127.0.0.1');
      if (need('inactiveUser')) {
        const off = await owner.postForm(`/admin/users/${fx.userId}/deactivate`, { confirm: 'yes' });
        if (off.statusCode !== 303) throw new Error(`fixture deactivation: ${off.statusCode}`);
      }
    }
    return fx;
  }

  const applicationCode = (fx: Fixture, where: SQL) =>
    codeOf(
      sql`select r.municipality_code as code from applications a join grant_rounds r on r.id = a.round_id
          where a.id = ${fx.applicationId} and ${where}`,
    );
  const actorChanged = async (fx: Fixture) =>
    codeOf(sql`select home_municipality_code as code from actors where id = ${fx.actorId} and version > 1`);
  const grantCode = (fx: Fixture, where: SQL) =>
    codeOf(
      sql`select r.municipality_code as code from grants g join grant_rounds r on r.id = g.round_id
          where g.id = ${fx.grantId} and ${where}`,
    );

  const needBySource = (tag: string) =>
    codeOf(sql`select municipality_code as code from need_estimates where source = ${tag}`);
  const needCode = (fx: Fixture, year: number) =>
    codeOf(
      sql`select municipality_code as code from need_estimates where year = ${year} and municipality_code = ${fx.code} limit 1`,
    );
  const copyYears = new Map<string, number>();
  const copyYear = (tag: string) => {
    if (!copyYears.has(tag)) copyYears.set(tag, 2041 + 2 * copyYears.size);
    return copyYears.get(tag) as number;
  };
  // Last year's estimates to copy from (even years), for every (odd) year a case may copy into.
  await h.database.rows(
    sql`insert into need_estimates (municipality_code, target_group_id, year, people)
        select code, ${stofmisbrug}::int, y, 7
        from (values (${OWN}::smallint), (${FOREIGN}::smallint)) m(code), generate_series(2040, 2098, 2) y`,
  );

  const outreachCode = (where: SQL) => codeOf(sql`select municipality_code as code from outreach where ${where}`);

  const agreementChanged = (fx: Fixture) =>
    codeOf(sql`select municipality_code as code from agreements where id = ${fx.agreementId} and version > 1`);
  const renewed = (fx: Fixture) =>
    codeOf(sql`select municipality_code as code from agreements where renewed_from_id = ${fx.agreementId}`);
  const meetingCode = (tag: string) =>
    codeOf(
      sql`select a.municipality_code as code from meetings m join agreements a on a.id = m.agreement_id where m.notes = ${tag}`,
    );
  const itemDone = (fx: Fixture) =>
    codeOf(
      sql`select a.municipality_code as code from action_items i join agreements a on a.id = i.agreement_id
          where i.id = ${fx.actionItemId} and i.done_at is not null`,
    );

  const actorForm = (tag: string, home: number, extra: Record<string, string> = {}) => ({
    name: tag,
    orgType: 'association',
    roles: 'advocate',
    homeMunicipalityCode: String(home),
    status: 'active',
    allowSimilar: 'on',
    ...extra,
  });

  /** Reviews: the round's municipality's reviewers; another municipality's application does not exist. */
  const reviewers =
    (ok: number) =>
    (role: Role, scope: Scope): Expect =>
      scope === 'foreign' ? { status: 404, landsIn: null } : policy('reviews', role, 'own', ok);
  const reviewCode = (fx: Fixture, client: Client) =>
    codeOf(
      sql`select r.municipality_code as code from application_reviews v join applications a on a.id = v.application_id
          join grant_rounds r on r.id = a.round_id where v.application_id = ${fx.applicationId} and v.reviewer_id = ${client.user.id}`,
    );
  const applicationDecided = (fx: Fixture) =>
    codeOf(
      sql`select r.municipality_code as code from applications a join grant_rounds r on r.id = a.round_id
          where a.id = ${fx.applicationId} and a.status = 'rejected'`,
    );

  const rows: Row[] = [
    {
      method: 'POST',
      route: '/applications/:id/review',
      area: 'reviews',
      ok: 303,
      needs: ['application'],
      url: (fx) => `/applications/${fx.applicationId}/review`,
      payload: (fx) => ({ 'scores[0][criterionId]': String(fx.criterionId), 'scores[0][score]': '4' }),
      landsIn: (fx, _tag, client) => reviewCode(fx, client),
      expect: reviewers(303),
    },
    {
      method: 'POST',
      route: '/applications/:id/review/conflict',
      area: 'reviews',
      ok: 303,
      needs: ['application'],
      url: (fx) => `/applications/${fx.applicationId}/review/conflict`,
      payload: (_fx, tag) => ({ reason: tag, confirm: 'yes' }),
      landsIn: (_fx, tag) =>
        codeOf(
          sql`select r.municipality_code as code from application_conflicts c join applications a on a.id = c.application_id
              join grant_rounds r on r.id = a.round_id where c.reason = ${tag}`,
        ),
      expect: reviewers(303),
    },
    {
      method: 'POST',
      route: '/api/v1/applications/:id/reviews',
      area: 'reviews',
      ok: 201,
      needs: ['application'],
      url: (fx) => `/api/v1/applications/${fx.applicationId}/reviews`,
      payload: (fx) => ({ scores: [{ criterionId: fx.criterionId, score: 3 }] }),
      landsIn: (fx, _tag, client) => reviewCode(fx, client),
      expect: reviewers(201),
    },
    // ---- the JSON API ------------------------------------------------------------------------
    {
      method: 'POST',
      route: '/api/v1/actors',
      area: 'actors',
      ok: 201,
      url: () => '/api/v1/actors?allowSimilar=true',
      payload: (fx, tag) => actorInput({ name: tag, homeMunicipalityCode: fx.code, municipalityCodes: [fx.code] }),
      landsIn: (_fx, tag) => codeOf(sql`select home_municipality_code as code from actors where name = ${tag}`),
    },
    {
      method: 'PATCH',
      route: '/api/v1/actors/:id',
      label: 'PATCH /api/v1/actors/:id (home stays or is claimed for 101)',
      area: 'actors',
      ok: 200,
      needs: ['actor'],
      url: (fx) => `/api/v1/actors/${fx.actorId}`,
      // For a foreign actor this is also an attempt to move it into the caller's municipality.
      payload: () => ({ version: 1, phone: '+45 99 99 99 99', homeMunicipalityCode: OWN }),
      landsIn: actorChanged,
    },
    {
      method: 'PATCH',
      route: '/api/v1/actors/:id',
      label: 'PATCH /api/v1/actors/:id (own actor moved to 751)',
      area: 'actors',
      ok: 200,
      needs: ['actor'],
      scopes: ['own'],
      url: (fx) => `/api/v1/actors/${fx.actorId}`,
      payload: () => ({ version: 1, homeMunicipalityCode: FOREIGN, municipalityCodes: [FOREIGN] }),
      landsIn: actorChanged,
      expect: () => ({ status: 403, landsIn: null }),
    },
    {
      method: 'POST',
      route: '/api/v1/actors/:id/archive',
      area: 'actors',
      ok: 200,
      needs: ['actor'],
      url: (fx) => `/api/v1/actors/${fx.actorId}/archive`,
      payload: () => ({ version: 1 }),
      landsIn: (fx) =>
        codeOf(sql`select home_municipality_code as code from actors where id = ${fx.actorId} and status = 'archived'`),
    },
    {
      method: 'POST',
      route: '/api/v1/actors/:id/contacts/:contactId/erase',
      area: 'actors',
      ok: 204,
      needs: ['actor'],
      url: (fx) => `/api/v1/actors/${fx.actorId}/contacts/${fx.contactId}/erase`,
      payload: () => ({ mode: 'delete' }),
      landsIn: async (fx) =>
        (await one(sql`select id from actor_contacts where id = ${fx.contactId}`)) ? null : fx.code,
    },
    {
      method: 'POST',
      route: '/api/v1/target-groups',
      area: 'targetGroups',
      ok: 201,
      url: () => '/api/v1/target-groups',
      payload: (fx, tag) => ({ nameDa: tag, parentId: stofmisbrug, municipalityCode: fx.code }),
      landsIn: (_fx, tag) => codeOf(sql`select municipality_code as code from target_groups where name_da = ${tag}`),
    },
    {
      method: 'POST',
      route: '/api/v1/grant-rounds',
      area: 'grants',
      ok: 201,
      url: () => '/api/v1/grant-rounds',
      payload: (fx, tag) => ({ year: 2027, name: tag, budgetOre: 100_000, municipalityCode: fx.code }),
      landsIn: (_fx, tag) => codeOf(sql`select municipality_code as code from grant_rounds where name = ${tag}`),
    },
    {
      method: 'PATCH',
      route: '/api/v1/grant-rounds/:id',
      area: 'grants',
      ok: 200,
      needs: ['round'],
      url: (fx) => `/api/v1/grant-rounds/${fx.roundId}`,
      payload: () => ({ version: 1, budgetOre: 1 }),
      landsIn: (fx) =>
        codeOf(sql`select municipality_code as code from grant_rounds where id = ${fx.roundId} and version > 1`),
    },
    {
      method: 'POST',
      route: '/api/v1/grants',
      area: 'grants',
      ok: 201,
      needs: ['round', 'actor'],
      url: () => '/api/v1/grants',
      payload: (fx, tag) => ({ roundId: fx.roundId, actorId: fx.actorId, title: tag, requestedOre: 1_000 }),
      landsIn: (_fx, tag) =>
        codeOf(
          sql`select r.municipality_code as code from grants g join grant_rounds r on r.id = g.round_id where g.title = ${tag}`,
        ),
    },
    {
      method: 'PATCH',
      route: '/api/v1/grants/:id',
      area: 'grants',
      ok: 200,
      needs: ['grant'],
      url: (fx) => `/api/v1/grants/${fx.grantId}`,
      payload: () => ({ version: 1, purpose: 'Ændret formål' }),
      landsIn: (fx) => grantCode(fx, sql`g.version > 1`),
    },
    {
      method: 'PUT',
      route: '/api/v1/grants/:id/payments/:paymentId',
      area: 'grants',
      ok: 200,
      needs: ['payment'],
      url: (fx) => `/api/v1/grants/${fx.grantId}/payments/${fx.paymentId}`,
      payload: () => ({ version: 3, kind: 'payment', paidOn: '2026-05-02', amountOre: 60_000 }),
      landsIn: (fx) =>
        grantCode(fx, sql`exists (select 1 from grant_payments p where p.grant_id = g.id and p.amount_ore = 60000)`),
    },
    {
      method: 'POST',
      route: '/api/v1/grants/:id/transitions',
      area: 'grants',
      ok: 200,
      needs: ['grant'],
      url: (fx) => `/api/v1/grants/${fx.grantId}/transitions`,
      payload: () => ({ to: 'rejected', version: 1 }),
      landsIn: (fx) => grantCode(fx, sql`g.status = 'rejected'`),
    },

    {
      method: 'POST',
      route: '/api/v1/applications/:id/decision',
      area: 'grants',
      ok: 200,
      needs: ['application'],
      url: (fx) => `/api/v1/applications/${fx.applicationId}/decision`,
      payload: () => ({ decision: 'reject', meeting: 'Socialudvalget', reasons: 'Puljen er brugt.', version: 1 }),
      landsIn: (fx) => applicationDecided(fx),
      // Another municipality's application does not exist to anyone.
      expect: (role, scope) =>
        scope === 'foreign' ? { status: 404, landsIn: null } : policy('grants', role, scope, 200),
    },

    // ---- HTML forms: actors and target groups -------------------------------------------------
    {
      method: 'POST',
      route: '/actors',
      area: 'actors',
      ok: 303,
      url: () => '/actors',
      payload: (fx, tag) => actorForm(tag, fx.code, { municipalityCodes: String(fx.code) }),
      landsIn: (_fx, tag) => codeOf(sql`select home_municipality_code as code from actors where name = ${tag}`),
    },
    {
      method: 'POST',
      route: '/actors/quick',
      label: 'POST /actors/quick (a homeMunicipalityCode of 751 is ignored)',
      area: 'actors',
      ok: 303,
      url: () => '/actors/quick',
      // The quick form has no municipality: "foreign" sends one anyway, and it must not be used.
      payload: (fx, tag) => ({
        name: tag,
        'contact[name]': 'Kontakt Person',
        allowSimilar: 'on',
        ...(fx.code === FOREIGN ? { homeMunicipalityCode: String(FOREIGN), municipalityCodes: String(FOREIGN) } : {}),
      }),
      landsIn: (_fx, tag) => codeOf(sql`select home_municipality_code as code from actors where name = ${tag}`),
      expect: ownOnly('actors', 303),
    },
    {
      method: 'POST',
      route: '/actors/:id',
      label: 'POST /actors/:id edit (home stays or is claimed for 101)',
      area: 'actors',
      ok: 303,
      needs: ['actor'],
      url: (fx) => `/actors/${fx.actorId}`,
      payload: (fx, tag) => ({ ...actorForm(tag, OWN, { municipalityCodes: String(fx.code) }), version: '1' }),
      landsIn: actorChanged,
    },
    {
      method: 'POST',
      route: '/actors/:id',
      label: 'POST /actors/:id edit (own actor moved to 751)',
      area: 'actors',
      ok: 303,
      needs: ['actor'],
      scopes: ['own'],
      url: (fx) => `/actors/${fx.actorId}`,
      payload: (_fx, tag) => ({ ...actorForm(tag, FOREIGN, { municipalityCodes: String(FOREIGN) }), version: '1' }),
      landsIn: actorChanged,
      expect: () => ({ status: 403, landsIn: null }),
    },
    {
      method: 'POST',
      route: '/actors/:id/archive',
      area: 'actors',
      ok: 303,
      needs: ['actor'],
      url: (fx) => `/actors/${fx.actorId}/archive`,
      payload: () => ({ version: '1', confirm: 'yes' }),
      landsIn: (fx) =>
        codeOf(sql`select home_municipality_code as code from actors where id = ${fx.actorId} and status = 'archived'`),
    },
    {
      method: 'POST',
      route: '/actors/:id/contacts/:contactId/erase',
      area: 'actors',
      ok: 303,
      needs: ['actor'],
      url: (fx) => `/actors/${fx.actorId}/contacts/${fx.contactId}/erase`,
      payload: () => ({ mode: 'anonymise', confirm: 'yes' }),
      landsIn: async (fx) =>
        (await one(sql`select id from actor_contacts where id = ${fx.contactId} and email is null and phone is null`))
          ? fx.code
          : null,
    },
    {
      method: 'POST',
      route: '/target-groups',
      area: 'targetGroups',
      ok: 303,
      url: () => '/target-groups',
      payload: (fx, tag) => ({ nameDa: tag, parentId: String(stofmisbrug), municipalityCode: String(fx.code) }),
      landsIn: (_fx, tag) => codeOf(sql`select municipality_code as code from target_groups where name_da = ${tag}`),
    },

    // ---- HTML forms: § 18 grants ---------------------------------------------------------------
    {
      method: 'POST',
      route: '/grant-rounds',
      label: 'POST /grant-rounds (a municipalityCode of 751 is ignored)',
      area: 'grants',
      ok: 303,
      url: () => '/grant-rounds',
      payload: (fx, tag) => ({
        name: tag,
        year: '2027',
        budget: '1.000',
        ...(fx.code === FOREIGN ? { municipalityCode: String(FOREIGN) } : {}),
      }),
      landsIn: (_fx, tag) => codeOf(sql`select municipality_code as code from grant_rounds where name = ${tag}`),
      expect: ownOnly('grants', 303),
    },
    {
      method: 'POST',
      route: '/grant-rounds/:id/advance',
      area: 'grants',
      ok: 303,
      needs: ['round'],
      url: (fx) => `/grant-rounds/${fx.roundId}/advance`,
      payload: () => ({ version: '1', confirm: 'yes' }),
      landsIn: (fx) =>
        codeOf(sql`select municipality_code as code from grant_rounds where id = ${fx.roundId} and status = 'open'`),
    },
    {
      method: 'POST',
      route: '/grant-rounds/:id',
      label: 'POST /grant-rounds/:id edit',
      area: 'grants',
      ok: 303,
      needs: ['round'],
      url: (fx) => `/grant-rounds/${fx.roundId}`,
      payload: (_fx, tag) => ({ version: '1', name: tag, year: '2026', budget: '200.000' }),
      landsIn: (_fx, tag) => codeOf(sql`select municipality_code as code from grant_rounds where name = ${tag}`),
    },
    {
      method: 'POST',
      route: '/grants',
      area: 'grants',
      ok: 303,
      needs: ['round', 'actor'],
      url: () => '/grants',
      payload: (fx, tag) => ({
        roundId: String(fx.roundId),
        actorId: String(fx.actorId),
        title: tag,
        kind: 'money',
        requested: '1.000',
      }),
      landsIn: (_fx, tag) =>
        codeOf(
          sql`select r.municipality_code as code from grants g join grant_rounds r on r.id = g.round_id where g.title = ${tag}`,
        ),
    },
    {
      method: 'POST',
      route: '/grants/:id',
      label: 'POST /grants/:id edit',
      area: 'grants',
      ok: 303,
      needs: ['grant'],
      url: (fx) => `/grants/${fx.grantId}`,
      payload: (_fx, tag) => ({ version: '1', title: tag, requested: '1.000', reportDueOn: '2027-06-01' }),
      landsIn: (_fx, tag) =>
        codeOf(
          sql`select r.municipality_code as code from grants g join grant_rounds r on r.id = g.round_id where g.title = ${tag}`,
        ),
    },
    {
      method: 'POST',
      route: '/grants/:id/payments/:paymentId',
      area: 'grants',
      ok: 303,
      needs: ['payment'],
      url: (fx) => `/grants/${fx.grantId}/payments/${fx.paymentId}`,
      payload: () => ({ version: '3', kind: 'payment', paidOn: '2026-05-02', amount: '600' }),
      landsIn: (fx) =>
        grantCode(fx, sql`exists (select 1 from grant_payments p where p.grant_id = g.id and p.amount_ore = 60000)`),
    },
    {
      method: 'POST',
      route: '/grants/:id/award',
      area: 'grants',
      ok: 303,
      needs: ['grant'],
      url: (fx) => `/grants/${fx.grantId}/award`,
      payload: () => ({ version: '1', awarded: '1.000', wholeTo: String(stofmisbrug) }),
      landsIn: (fx) => grantCode(fx, sql`g.status = 'approved'`),
    },
    {
      method: 'POST',
      route: '/applications/:id/decision',
      label: 'POST /applications/:id/decision (approve, confirmed)',
      area: 'grants',
      ok: 303,
      needs: ['application', 'actor', 'matchedApplication'],
      url: (fx) => `/applications/${fx.applicationId}/decision`,
      payload: () => ({
        version: '1',
        decision: 'approve',
        meeting: 'Socialudvalget',
        reasons: 'God ansøgning.',
        awarded: '1.000',
        'lines[0][targetGroupId]': String(stofmisbrug),
        'lines[0][amount]': '1.000',
        confirm: 'yes',
      }),
      landsIn: (fx) =>
        codeOf(
          sql`select r.municipality_code as code from applications a
              join grants g on g.id = a.grant_id and g.status = 'approved'
              join grant_rounds r on r.id = g.round_id
              where a.id = ${fx.applicationId} and a.status = 'approved'`,
        ),
      expect: (role, scope) =>
        scope === 'foreign' ? { status: 404, landsIn: null } : policy('grants', role, scope, 303),
    },
    {
      method: 'POST',
      route: '/grants/:id/payments',
      area: 'grants',
      ok: 303,
      needs: ['approvedGrant'],
      url: (fx) => `/grants/${fx.grantId}/payments`,
      payload: () => ({ version: '2', kind: 'payment', paidOn: '2026-05-01', amount: '500' }),
      landsIn: (fx) => grantCode(fx, sql`exists (select 1 from grant_payments p where p.grant_id = g.id)`),
    },
    {
      method: 'POST',
      route: '/grants/:id/report',
      area: 'grants',
      ok: 303,
      needs: ['grant'],
      url: (fx) => `/grants/${fx.grantId}/report`,
      payload: () => ({ version: '1', reportReceivedOn: '2027-05-01' }),
      landsIn: (fx) => grantCode(fx, sql`g.report_received_on is not null`),
    },
    {
      method: 'POST',
      route: '/grants/:id/transition',
      area: 'grants',
      ok: 303,
      needs: ['grant'],
      url: (fx) => `/grants/${fx.grantId}/transition`,
      payload: () => ({ version: '1', to: 'withdrawn', confirm: 'yes' }),
      landsIn: (fx) => grantCode(fx, sql`g.status = 'withdrawn'`),
    },
    // An applicant's report: finance and admin of the grant's municipality answer it; another
    // municipality is told it does not exist (404).
    {
      method: 'POST',
      route: '/grants/:id/application-report/accept',
      area: 'grants',
      ok: 303,
      needs: ['applicationReport'],
      url: (fx) => `/grants/${fx.grantId}/application-report/accept`,
      payload: (fx) => ({ reportId: String(fx.reportId), version: '1', confirm: 'yes' }),
      landsIn: (fx) =>
        grantCode(
          fx,
          sql`exists (select 1 from application_reports ar where ar.id = ${fx.reportId} and ar.status = 'accepted')`,
        ),
      expect: (role, scope) =>
        scope === 'foreign' ? { status: 404, landsIn: null } : policy('grants', role, scope, 303),
    },
    {
      method: 'POST',
      route: '/grants/:id/application-report/more',
      area: 'grants',
      ok: 303,
      needs: ['applicationReport'],
      url: (fx) => `/grants/${fx.grantId}/application-report/more`,
      payload: (fx, tag) => ({ reportId: String(fx.reportId), version: '1', note: tag }),
      landsIn: (fx) =>
        grantCode(
          fx,
          sql`exists (select 1 from application_reports ar where ar.id = ${fx.reportId} and ar.status = 'more_requested')`,
        ),
      expect: (role, scope) =>
        scope === 'foreign' ? { status: 404, landsIn: null } : policy('grants', role, scope, 303),
    },
    // ---- need estimates ------------------------------------------------------------------------------
    {
      method: 'PUT',
      route: '/api/v1/need-estimates',
      area: 'needEstimates',
      ok: 200,
      url: (fx) => `/api/v1/need-estimates?municipalityCode=${fx.code}&year=2031`,
      payload: (_fx, tag) =>
        [{ targetGroupId: stofmisbrug, people: 42, source: tag }] as unknown as Record<string, unknown>,
      landsIn: (_fx, tag) => needBySource(tag),
    },
    {
      method: 'POST',
      route: '/need-estimates/cell',
      area: 'needEstimates',
      ok: 303,
      url: () => '/need-estimates/cell',
      payload: (fx, tag) => ({
        municipalityCode: String(fx.code),
        year: '2032',
        targetGroupId: String(stofmisbrug),
        people: '42',
        source: tag,
      }),
      landsIn: (_fx, tag) => needBySource(tag),
    },
    {
      method: 'POST',
      route: '/need-estimates/copy',
      area: 'needEstimates',
      ok: 303,
      url: () => '/need-estimates/copy',
      // Each case copies into a year of its own, from the year before it (seeded below).
      payload: (fx, tag) => ({ municipalityCode: String(fx.code), year: String(copyYear(tag)) }),
      landsIn: (fx, tag) => needCode(fx, copyYear(tag)),
    },
    // ---- merging actors ------------------------------------------------------------------------------
    {
      method: 'POST',
      route: '/api/v1/actors/merge',
      area: 'actors',
      ok: 200,
      needs: ['actorPair'],
      url: () => '/api/v1/actors/merge',
      payload: (fx) => ({ survivorId: fx.actorId, mergedIds: [fx.actor2Id] }),
      landsIn: (fx) =>
        codeOf(
          sql`select home_municipality_code as code from actors where id = ${fx.actor2Id} and merged_into_id is not null`,
        ),
    },
    {
      method: 'POST',
      route: '/actors/merge',
      area: 'actors',
      ok: 303,
      needs: ['actorPair'],
      url: () => '/actors/merge',
      payload: (fx) => ({ ids: [String(fx.actorId), String(fx.actor2Id)], survivorId: String(fx.actorId) }),
      landsIn: (fx) =>
        codeOf(
          sql`select home_municipality_code as code from actors where id = ${fx.actor2Id} and merged_into_id is not null`,
        ),
    },
    // ---- outreach presence --------------------------------------------------------------------------
    {
      method: 'POST',
      route: '/api/v1/outreach',
      area: 'agreements',
      ok: 201,
      needs: ['actor'],
      url: () => '/api/v1/outreach',
      payload: (fx, tag) => ({ ...outreachBody(fx.actorId, tag), municipalityCode: fx.code }),
      landsIn: (_fx, tag) => outreachCode(sql`unit = ${tag}`),
    },
    {
      method: 'PATCH',
      route: '/api/v1/outreach/:id',
      area: 'agreements',
      ok: 200,
      needs: ['outreach'],
      url: (fx) => `/api/v1/outreach/${fx.outreachId}`,
      payload: (_fx, tag) => ({ version: 1, unit: tag }),
      landsIn: (_fx, tag) => outreachCode(sql`unit = ${tag}`),
    },
    {
      method: 'POST',
      route: '/outreach',
      label: 'POST /outreach (a municipalityCode of 751 is ignored)',
      area: 'agreements',
      ok: 303,
      needs: ['actor'],
      url: () => '/outreach',
      payload: (fx, tag) => ({
        actorId: String(fx.actorId),
        kind: 'casework',
        unit: tag,
        weekdays: '2',
        startsAt: '10:00',
        endsAt: '12:00',
        periodStart: '2027-03-01',
        ...(fx.code === FOREIGN ? { municipalityCode: String(FOREIGN) } : {}),
      }),
      landsIn: (_fx, tag) => outreachCode(sql`unit = ${tag}`),
      expect: ownOnly('agreements', 303),
    },
    {
      method: 'POST',
      route: '/outreach/:id',
      area: 'agreements',
      ok: 303,
      needs: ['outreach'],
      url: (fx) => `/outreach/${fx.outreachId}`,
      payload: (fx, tag) => ({
        version: '1',
        actorId: String(fx.actorId),
        kind: 'counselling',
        unit: tag,
        weekdays: '3',
        startsAt: '10:00',
        endsAt: '12:00',
        periodStart: '2027-03-01',
      }),
      landsIn: (_fx, tag) => outreachCode(sql`unit = ${tag}`),
    },
    // ---- agreements, status meetings and action items ---------------------------------------------
    {
      method: 'POST',
      route: '/api/v1/agreements',
      area: 'agreements',
      ok: 201,
      needs: ['actor'],
      url: () => '/api/v1/agreements',
      payload: (fx, tag) => ({
        title: tag,
        kind: 'formal',
        actorIds: [fx.actorId],
        startsOn: '2026-01-01',
        municipalityCode: fx.code,
      }),
      landsIn: (_fx, tag) => codeOf(sql`select municipality_code as code from agreements where title = ${tag}`),
    },
    {
      method: 'PATCH',
      route: '/api/v1/agreements/:id',
      area: 'agreements',
      ok: 200,
      needs: ['agreement'],
      url: (fx) => `/api/v1/agreements/${fx.agreementId}`,
      payload: () => ({ version: 1, purpose: 'Ændret formål' }),
      landsIn: (fx) => agreementChanged(fx),
    },
    {
      method: 'POST',
      route: '/api/v1/agreements/:id/renewal',
      area: 'agreements',
      ok: 201,
      needs: ['agreement'],
      url: (fx) => `/api/v1/agreements/${fx.agreementId}/renewal`,
      landsIn: (fx) => renewed(fx),
    },
    {
      method: 'POST',
      route: '/api/v1/agreements/:id/meetings',
      area: 'agreements',
      ok: 201,
      needs: ['agreement'],
      url: (fx) => `/api/v1/agreements/${fx.agreementId}/meetings`,
      payload: (_fx, tag) => ({ heldOn: '2026-02-01', notes: tag }),
      landsIn: (_fx, tag) => meetingCode(tag),
    },
    {
      method: 'PATCH',
      route: '/api/v1/action-items/:id',
      area: 'agreements',
      ok: 200,
      needs: ['actionItem'],
      url: (fx) => `/api/v1/action-items/${fx.actionItemId}`,
      payload: () => ({ version: 1, done: true }),
      landsIn: (fx) => itemDone(fx),
    },
    {
      method: 'POST',
      route: '/agreements',
      label: 'POST /agreements (a municipalityCode of 751 is ignored)',
      area: 'agreements',
      ok: 303,
      needs: ['actor'],
      url: () => '/agreements',
      payload: (fx, tag) => ({
        title: tag,
        kind: 'formal',
        actorIds: String(fx.actorId),
        startsOn: '2026-01-01',
        ...(fx.code === FOREIGN ? { municipalityCode: String(FOREIGN) } : {}),
      }),
      landsIn: (_fx, tag) => codeOf(sql`select municipality_code as code from agreements where title = ${tag}`),
      expect: ownOnly('agreements', 303),
    },
    {
      method: 'POST',
      route: '/agreements/:id',
      area: 'agreements',
      ok: 303,
      needs: ['agreement'],
      url: (fx) => `/agreements/${fx.agreementId}`,
      payload: (fx, tag) => ({
        version: '1',
        title: tag,
        kind: 'formal',
        actorIds: String(fx.actorId),
        startsOn: '2026-01-01',
      }),
      landsIn: (fx) => agreementChanged(fx),
    },
    {
      method: 'POST',
      route: '/agreements/:id/status',
      area: 'agreements',
      ok: 303,
      needs: ['agreement'],
      url: (fx) => `/agreements/${fx.agreementId}/status`,
      payload: () => ({ version: '1', to: 'active' }),
      landsIn: (fx) =>
        codeOf(
          sql`select municipality_code as code from agreements where id = ${fx.agreementId} and status = 'active'`,
        ),
    },
    {
      method: 'POST',
      route: '/agreements/:id/status',
      label: 'POST /agreements/:id/status (ending, asked first: nothing written until confirmed)',
      area: 'agreements',
      ok: 200,
      needs: ['agreement'],
      url: (fx) => `/agreements/${fx.agreementId}/status`,
      payload: () => ({ version: '1', to: 'ended' }),
      landsIn: (fx) =>
        codeOf(sql`select municipality_code as code from agreements where id = ${fx.agreementId} and status = 'ended'`),
      expect: (role, scope) => {
        const asked = policy('agreements', role, scope, 200);
        return { status: asked.status, landsIn: null };
      },
    },
    {
      method: 'POST',
      route: '/agreements/:id/reopen',
      area: 'agreements',
      ok: 303,
      needs: ['endedAgreement'],
      url: (fx) => `/agreements/${fx.agreementId}/reopen`,
      payload: () => ({ version: '2', confirm: 'yes', openItems: 'close' }),
      landsIn: (fx) =>
        codeOf(
          sql`select municipality_code as code from agreements where id = ${fx.agreementId} and status = 'active'`,
        ),
    },
    {
      method: 'POST',
      route: '/agreements/:id/renew',
      area: 'agreements',
      ok: 303,
      needs: ['agreement'],
      url: (fx) => `/agreements/${fx.agreementId}/renew`,
      landsIn: (fx) => renewed(fx),
    },
    {
      method: 'POST',
      route: '/agreements/:id/meetings',
      area: 'agreements',
      ok: 303,
      needs: ['agreement'],
      url: (fx) => `/agreements/${fx.agreementId}/meetings`,
      payload: (_fx, tag) => ({ heldOn: '2026-02-01', notes: tag }),
      landsIn: (_fx, tag) => meetingCode(tag),
    },
    {
      method: 'POST',
      route: '/action-items/:id',
      area: 'agreements',
      ok: 303,
      needs: ['actionItem'],
      url: (fx) => `/action-items/${fx.actionItemId}`,
      payload: () => ({ version: '1', done: 'true' }),
      landsIn: (fx) => itemDone(fx),
    },

    // ---- HTML forms: users (admin, own municipality) -------------------------------------------
    {
      method: 'POST',
      route: '/admin/users',
      label: 'POST /admin/users (a municipalityCode of 751 is ignored)',
      area: 'users',
      ok: 303,
      url: () => '/admin/users',
      payload: (fx, tag) => ({
        name: tag,
        email: `${tag.replace(/\W+/g, '.').toLowerCase()}@test.samspil.dk`,
        password: PASSWORD,
        role: 'admin',
        ...(fx.code === FOREIGN ? { municipalityCode: String(FOREIGN) } : {}),
      }),
      landsIn: (_fx, tag) => codeOf(sql`select municipality_code as code from users where name = ${tag}`),
      expect: ownOnly('users', 303),
    },
    {
      method: 'POST',
      route: '/admin/users/:userId/deactivate',
      area: 'users',
      ok: 303,
      needs: ['userSession'],
      url: (fx) => `/admin/users/${fx.userId}/deactivate`,
      payload: () => ({ confirm: 'yes' }),
      landsIn: (fx) => codeOf(sql`select municipality_code as code from users where id = ${fx.userId} and not active`),
    },
    {
      method: 'POST',
      route: '/admin/users/:userId/activate',
      area: 'users',
      ok: 303,
      needs: ['inactiveUser'],
      url: (fx) => `/admin/users/${fx.userId}/activate`,
      landsIn: (fx) => codeOf(sql`select municipality_code as code from users where id = ${fx.userId} and active`),
    },
    {
      method: 'POST',
      route: '/admin/users/:userId/end-sessions',
      area: 'users',
      ok: 303,
      needs: ['userSession'],
      url: (fx) => `/admin/users/${fx.userId}/end-sessions`,
      landsIn: (fx) =>
        codeOf(
          sql`select u.municipality_code as code from users u where u.id = ${fx.userId}
              and not exists (select 1 from sessions s where s.user_id = u.id and s.ended_at is null)`,
        ),
    },
    {
      method: 'POST',
      route: '/admin/mail/digest-time',
      label: 'POST /admin/mail/digest-time (always the acting admin’s own municipality)',
      area: 'users',
      ok: 303,
      scopes: ['own'],
      url: () => '/admin/mail/digest-time',
      payload: () => ({ digestTime: '09:15', version: '0' }),
      landsIn: (_fx, _tag, client) =>
        codeOf(
          sql`select municipality_code as code from audit_log where entity = 'digest_settings' and user_id = ${client.user.id}`,
        ),
    },

    {
      method: 'POST',
      route: '/admin/users/:userId',
      label: 'POST /admin/users/:userId (name, role, municipality)',
      area: 'users',
      ok: 303,
      needs: ['user'],
      url: (fx) => `/admin/users/${fx.userId}`,
      payload: (fx, tag) => ({
        email: `ny.${fx.userId}.${tag.replace(/\W+/g, '.').toLowerCase()}@test.samspil.dk`,
        name: tag,
        role: 'finance',
        municipalityCode: String(fx.code),
        version: '1',
      }),
      landsIn: (fx, tag) =>
        codeOf(sql`select municipality_code as code from users where id = ${fx.userId} and name = ${tag}`),
    },
    {
      method: 'POST',
      route: '/admin/users/:userId/password',
      label: 'POST /admin/users/:userId/password (temporary password)',
      area: 'users',
      ok: 303,
      needs: ['userSession'],
      url: (fx) => `/admin/users/${fx.userId}/password`,
      payload: () => ({ password: 'en midlertidig adgangskode' }),
      landsIn: (fx) =>
        codeOf(
          sql`select u.municipality_code as code from users u where u.id = ${fx.userId}
              and exists (select 1 from audit_log a where a.action = 'reset_password' and a.entity_id = ${String(fx.userId)})`,
        ),
    },

    {
      method: 'POST',
      route: '/admin/users/:userId/welcome',
      label: 'POST /admin/users/:userId/welcome (a new welcome link)',
      area: 'users',
      ok: 303,
      needs: ['user'],
      url: (fx) => `/admin/users/${fx.userId}/welcome`,
      payload: () => ({ confirm: 'yes' }),
      landsIn: (fx) =>
        codeOf(
          sql`select u.municipality_code as code from users u where u.id = ${fx.userId}
              and exists (select 1 from audit_log a where a.action = 'welcome_link_sent' and a.entity_id = ${String(fx.userId)})`,
        ),
    },

    // ---- one's own account: every role -------------------------------------------------------
    {
      method: 'POST',
      route: '/account/email',
      area: 'account',
      ok: 303,
      scopes: ['own'],
      freshClient: true,
      url: () => '/account/email',
      payload: (_fx, tag) => ({
        newEmail: `egen.${tag.replace(/\W+/g, '.').toLowerCase()}@test.samspil.dk`,
        currentPassword: PASSWORD,
      }),
      landsIn: async (_fx, _tag, client) =>
        (await one(
          sql`select id from audit_log where action = 'change_email' and entity_id = ${String(client.user.id)}`,
        ))
          ? client.user.municipalityCode
          : null,
    },
    {
      method: 'POST',
      route: '/account/language',
      area: 'account',
      ok: 303,
      scopes: ['own'],
      freshClient: true,
      url: () => '/account/language',
      payload: () => ({ locale: 'en' }),
      landsIn: async (_fx, _tag, client) =>
        (await one(sql`select id from users where id = ${client.user.id} and locale = 'en'`))
          ? client.user.municipalityCode
          : null,
    },
    {
      method: 'POST',
      route: '/account/tokens',
      area: 'account',
      ok: 201,
      scopes: ['own'],
      url: () => '/account/tokens',
      payload: (_fx, tag) => ({ name: tag }),
      landsIn: async (_fx, tag, client) =>
        (await one(sql`select id from api_tokens where name = ${tag} and user_id = ${client.user.id}`))
          ? client.user.municipalityCode
          : null,
    },
    {
      method: 'POST',
      route: '/account/tokens/:tokenId/revoke',
      label: 'POST /account/tokens/:id/revoke (own key; foreign: a 751 user’s key)',
      area: 'account',
      ok: 303,
      needs: ['token'],
      url: (fx) => `/account/tokens/${fx.tokenId}/revoke`,
      payload: () => ({ confirm: 'yes' }),
      landsIn: async (fx) =>
        (await one(sql`select id from api_tokens where id = ${fx.tokenId} and revoked_at is not null`)) ? OWN : null,
      // Someone else's key is not found, whoever asks.
      expect: (_role, scope) => (scope === 'own' ? { status: 303, landsIn: OWN } : { status: 404, landsIn: null }),
    },
    {
      method: 'POST',
      route: '/account/calendar',
      area: 'account',
      ok: 201,
      scopes: ['own'],
      url: () => '/account/calendar',
      landsIn: async (_fx, _tag, client) =>
        (await one(sql`select user_id from calendar_feeds where user_id = ${client.user.id}`))
          ? client.user.municipalityCode
          : null,
    },
    {
      method: 'POST',
      route: '/account/calendar/revoke',
      area: 'account',
      ok: 303,
      scopes: ['own'],
      url: () => '/account/calendar/revoke',
      payload: () => ({ confirm: 'yes' }),
      landsIn: async (_fx, _tag, client) =>
        (await one(sql`select user_id from calendar_feeds where user_id = ${client.user.id}`))
          ? null
          : client.user.municipalityCode,
    },
    {
      method: 'POST',
      route: '/account/digest',
      area: 'account',
      ok: 303,
      scopes: ['own'],
      url: () => '/account/digest',
      payload: () => ({ grants: 'weekly', agreements: 'off', version: '0' }),
      landsIn: async (_fx, _tag, client) =>
        (await one(sql`select user_id from digest_preferences where user_id = ${client.user.id} and grants = 'weekly'`))
          ? client.user.municipalityCode
          : null,
    },
    {
      method: 'POST',
      route: '/account/password',
      area: 'account',
      ok: 303,
      scopes: ['own'],
      freshClient: true,
      url: () => '/account/password',
      payload: () => ({
        currentPassword: PASSWORD,
        newPassword: 'en ny og lang adgangskode',
        repeatPassword: 'en ny og lang adgangskode',
      }),
      landsIn: async (_fx, _tag, client) =>
        (await one(
          sql`select id from audit_log where action = 'change_password' and entity_id = ${String(client.user.id)}`,
        ))
          ? client.user.municipalityCode
          : null,
    },
    {
      method: 'POST',
      route: '/logout',
      area: 'account',
      ok: 303,
      scopes: ['own'],
      freshClient: true,
      url: () => '/logout',
      landsIn: async (_fx, _tag, client) =>
        (await one(sql`select id from sessions where user_id = ${client.user.id} and ended_at is null`)) ? null : OWN,
    },
    {
      method: 'POST',
      route: '/applications/:id/start-review',
      area: 'applications',
      ok: 303,
      needs: ['application'],
      url: (fx) => `/applications/${fx.applicationId}/start-review`,
      payload: () => ({ version: '1' }),
      landsIn: (fx) => applicationCode(fx, sql`a.status = 'under_review'`),
      expect: applicationPolicy,
    },
    {
      method: 'POST',
      route: '/applications/:id/actor',
      area: 'applications',
      ok: 303,
      needs: ['application', 'actor'],
      url: (fx) => `/applications/${fx.applicationId}/actor`,
      payload: (fx) => ({ version: '1', actorId: String(fx.actorId) }),
      landsIn: (fx) => applicationCode(fx, sql`a.actor_id = ${fx.actorId}`),
      expect: applicationPolicy,
    },
    {
      method: 'POST',
      route: '/applications/:id/new-actor',
      area: 'applications',
      ok: 303,
      needs: ['application'],
      url: (fx) => `/applications/${fx.applicationId}/new-actor`,
      payload: () => ({ version: '1', roles: 'advocate', allowSimilar: 'on' }),
      landsIn: (fx) =>
        applicationCode(
          fx,
          sql`exists (select 1 from actors x where x.id = a.actor_id and x.home_municipality_code = r.municipality_code)`,
        ),
      expect: applicationPolicy,
    },
    {
      method: 'POST',
      route: '/setup',
      label: 'POST /setup (closed once a user exists)',
      area: 'setup',
      ok: 303,
      url: () => '/setup',
      payload: (fx, tag) => ({
        name: tag,
        email: `${tag.replace(/\W+/g, '.').toLowerCase()}@test.samspil.dk`,
        password: PASSWORD,
        municipalityCode: String(fx.code),
      }),
      landsIn: (_fx, tag) => codeOf(sql`select municipality_code as code from users where name = ${tag}`),
    },
  ];
  // The create and edit forms post to their own address (issue 19): the same handler, checked there too.
  const formAddresses: Record<string, string> = {
    '/actors': '/actors/new',
    '/actors/:id': '/actors/:id/edit',
    '/agreements': '/agreements/new',
    '/agreements/:id': '/agreements/:id/edit',
    '/grants': '/grants/new',
    '/outreach': '/outreach/new',
    '/outreach/:id': '/outreach/:id/edit',
  };
  for (const row of [...rows]) {
    const own = row.method === 'POST' ? formAddresses[row.route] : undefined;
    if (!own) continue;
    const suffix = own.endsWith('/new') ? '/new' : '/edit';
    const at = (url: string) => (suffix === '/new' ? url.replace(/\/?$/, '/new') : `${url}/edit`);
    rows.push({
      ...row,
      route: own,
      label: row.label?.replace(row.route, own),
      url: (fx) => at(row.url(fx)),
    });
  }

  // ---- the table covers the routes the code has, and only those -----------------------------------
  const inSource = mutatingRoutesInSource();
  const inTable = new Set(rows.map((r) => `${r.method} ${r.route}`));
  const missing = inSource.filter((r) => !inTable.has(r) && !(r in NOT_IN_MATRIX));
  t.same(missing, [], `every mutating route in src/modules is in the matrix (${inSource.length} found)`);
  for (const key of inTable) {
    const [method, url] = key.split(' ') as [string, string];
    t.ok(h.app.hasRoute({ method: method as 'POST', url }), `${key} exists`);
  }

  // ---- run it ------------------------------------------------------------------------------
  interface Outcome {
    row: Row;
    role: Role;
    scope: Scope;
    status: number;
    good: boolean;
  }
  const outcomes: Outcome[] = [];
  const shared = new Map<string, Fixture>();
  let caseNo = 0;
  let refusals = 0;
  const maxAuditId = async () =>
    Number((await one<{ id: number | null }>(sql`select max(id) as id from audit_log`))?.id ?? 0);

  for (const row of rows) {
    for (const role of roles) {
      for (const scope of row.scopes ?? scopes) {
        const code = scope === 'own' ? OWN : FOREIGN;
        const client = row.freshClient ? await h.as(role, OWN) : clients[role];
        if (row.freshClient) matrixUserIds.add(client.user.id);
        const expected = row.expect ? row.expect(role, scope) : policy(row.area, role, scope, row.ok);
        // A call that must write gets fresh records; calls that must not share them, row by row, since
        // each is checked to have left them as they were.
        const key = `${rows.indexOf(row)} ${scope}`;
        let fx = expected.landsIn === null ? shared.get(key) : undefined;
        if (!fx) {
          fx = await fixture(code, row.needs ?? []);
          if (row.needs?.includes('token')) {
            // Own: a key of the caller's; foreign: a key of a user of 751.
            const holder = scope === 'own' ? client.user.id : (owners[FOREIGN] as Client).user.id;
            fx.tokenId = (
              await h.app.services.accounts.createApiToken(
                { userId: holder, municipalityCode: code, role: null },
                holder,
                `Matrixnøgle ${serial}`,
              )
            ).id;
          }
          if (expected.landsIn === null) shared.set(key, fx);
        }
        caseNo += 1;
        const tag = `Matrix ${role} ${scope} ${caseNo}`;
        const url = row.url(fx);
        const label = `${row.label ?? `${row.method} ${row.route}`} as ${role}, ${scope}`;
        const auditBefore = await maxAuditId();

        const payload = row.payload?.(fx, tag, client) ?? {};
        const res: LightMyRequestResponse = url.startsWith('/api/')
          ? await client.inject({ method: row.method, url, payload })
          : await client.postForm(url, payload as Record<string, string>);

        let good = true;
        const check = (ok: boolean, message: string, extra: Record<string, unknown> = {}) => {
          t.ok(ok, message, extra);
          good &&= ok;
        };
        check(res.statusCode === expected.status, `${label}: ${expected.status}`, {
          found: res.statusCode,
          body: res.statusCode === expected.status ? undefined : res.body.slice(0, 300),
        });
        const landed = await row.landsIn(fx, tag, client);
        check(
          landed === expected.landsIn,
          expected.landsIn === null ? `${label}: nothing written` : `${label}: written in ${expected.landsIn} only`,
          { found: landed, wanted: expected.landsIn },
        );
        if (landed !== expected.landsIn) shared.delete(key);

        const denied = await h.database.rows<{ user_id: number | null; entity_id: string; code: string | null }>(
          sql`select user_id, entity_id, after->>'code' as code from audit_log
              where id > ${auditBefore} and entity = 'access' and action = 'denied'`,
        );
        if (expected.status === 403) {
          refusals += 1;
          const path = url.split('?')[0];
          check(
            denied.length === 1 &&
              denied[0]?.user_id === client.user.id &&
              denied[0]?.entity_id === `${row.method} ${path}` &&
              denied[0]?.code === 'FORBIDDEN',
            `${label}: the refusal is in the audit trail`,
            { found: denied },
          );
          if (url.startsWith('/api/')) {
            const body = res.json() as { statusCode?: number; code?: string; message?: string };
            check(
              body.statusCode === 403 && body.code === 'FORBIDDEN' && typeof body.message === 'string',
              `${label}: JSON {statusCode: 403, code: FORBIDDEN, message}`,
              { found: body },
            );
          } else {
            check(
              /^text\/html/.test(String(res.headers['content-type'])) && res.body.includes('<code>FORBIDDEN</code>'),
              `${label}: an HTML error page`,
            );
          }
        } else {
          check(denied.length === 0, `${label}: no refusal recorded`, { found: denied });
        }
        outcomes.push({ row, role, scope, status: res.statusCode, good });
      }
    }
  }

  // ---- every refusal, and only the refusals, are in the audit trail -------------------------------
  const deniedRows = await h.database.rows<{ user_id: number }>(
    sql`select user_id from audit_log where entity = 'access' and action = 'denied'`,
  );
  t.equal(
    deniedRows.filter((r) => matrixUserIds.has(Number(r.user_id))).length,
    refusals,
    `audit_log has one 'denied' row for each of the ${refusals} refusals`,
  );
  t.equal(outcomes.filter((o) => o.status === 403).length, refusals, 'every refusal answered 403');

  // ---- a compact summary: one line a row, own/foreign status per role -----------------------------
  const width = Math.max(...rows.map((r) => (r.label ?? `${r.method} ${r.route}`).length));
  const cell = (row: Row, role: Role, scope: Scope) => {
    const o = outcomes.find((x) => x.row === row && x.role === role && x.scope === scope);
    return o ? `${o.status}${o.good ? ' ' : '!'}` : ' -  ';
  };
  const header = `${'route'.padEnd(width)}  ${roles.map((r) => r.slice(0, 11).padEnd(9)).join(' ')}`;
  const sub = `${''.padEnd(width)}  ${roles.map(() => 'own  for.').join(' ')}`;
  const lines = rows.map(
    (row) =>
      `${(row.label ?? `${row.method} ${row.route}`).padEnd(width)}  ${roles
        .map((role) => `${cell(row, role, 'own')} ${cell(row, role, 'foreign')}`)
        .join(' ')}`,
  );
  const bad = outcomes.filter((o) => !o.good).length;
  t.comment(
    [
      `${outcomes.length} cases over ${rows.length} rows (${inTable.size} routes), ${refusals} refused, ${bad} wrong (marked !), ${Date.now() - started} ms`,
      header,
      sub,
      ...lines,
    ].join('\n'),
  );
});

t.test('the user list is for admins only, also behind a refused form', async (t) => {
  const admin751 = await h.as('admin', FOREIGN);
  for (const role of ['coordinator', 'finance', 'viewer'] as const) {
    const client = await h.as(role, OWN);
    const page = await client.inject({ method: 'GET', url: '/admin/users' });
    t.equal(page.statusCode, 403, `${role}: GET /admin/users is refused`);
    t.notOk(page.body.includes(h.user.email), `${role}: the page names no user`);
    // A form that fails validation must not be the way round the refusal.
    const invalid = await client.postForm('/admin/users', { name: '', email: 'x', password: 'kort', role: 'admin' });
    t.equal(invalid.statusCode, 403, `${role}: an invalid POST /admin/users is refused too`);
    t.notOk(invalid.body.includes(h.user.email), `${role}: the refused form shows no user’s e-mail`);
  }
  // An admin's list, valid or not, has only their own municipality's users.
  const list = await admin751.postForm('/admin/users', { name: '', email: 'x', password: 'kort', role: 'viewer' });
  t.equal(list.statusCode, 422);
  t.ok(list.body.includes(admin751.user.email), 'the 751 admin sees their own users');
  t.notOk(list.body.includes(h.user.email), 'and none of 101’s');
});

// ==== create and edit forms (issue 19, point 15): GET × role × own and foreign municipality ====
// A form is refused before it is shown, as its POST is: with the normal error page, and audited.

/** The form pages in src/modules, read from the source: `app.get('/…/new'` and the like. */
const formRoutesInSource = () =>
  routesInSource(/\bapp\.get\(\s*['"`]([^'"`]+\/(?:new|edit|quick|merge))['"`]/g, (m) => m[1] as string);

/** A round of the municipality with an approved grant and one payment on it, for the edit forms. */
async function paidGrantOf(owner: Client, actorId: number, code: number) {
  const send = async (method: 'POST' | 'PATCH', url: string, payload: Record<string, unknown>) => {
    const res = await owner.inject({ method, url, payload });
    if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  const groups = (await owner.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
  }[];
  const stofmisbrug = groups.find((g) => g.nameDa === 'Stofmisbrug')?.id;
  const round = await send('POST', '/api/v1/grant-rounds', {
    year: 2026,
    name: `Formpulje ${code}`,
    budgetOre: 1_000_000,
  });
  const grant = await send('POST', '/api/v1/grants', {
    roundId: round.id,
    actorId,
    title: 'Form',
    requestedOre: 1_000,
  });
  await send('POST', `/api/v1/grants/${grant.id}/transitions`, {
    to: 'approved',
    version: 1,
    awardedOre: 1_000,
    targetGroupId: stofmisbrug,
  });
  const paid = await send('PATCH', `/api/v1/grants/${grant.id}`, {
    version: 2,
    payments: [{ kind: 'payment', paidOn: '2026-05-01', amountOre: 500 }],
  });
  return { round: round.id as number, grant: grant.id as number, payment: paid.payments[0].id as number };
}

t.test('every create and edit form (GET) × role × own and foreign municipality', async (t) => {
  const { owners, clients } = await matrixClients(h);
  /** An actor, an agreement, an outreach presence and a user of each municipality, made by its admin. */
  const records: Record<
    number,
    {
      actor: number;
      actor2: number;
      agreement: number;
      outreach: number;
      user: number;
      round: number;
      grant: number;
      payment: number;
    }
  > = {};
  for (const code of [OWN, FOREIGN]) {
    const owner = owners[code] as Client;
    const post = async (url: string, payload: Record<string, unknown>) => {
      const res = await owner.inject({ method: 'POST', url, payload });
      if (res.statusCode !== 201) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
      return res.json().id as number;
    };
    const actor = await post(
      '/api/v1/actors?allowSimilar=true',
      actorInput({ name: `Formforening ${code}`, homeMunicipalityCode: code, municipalityCodes: [code] }),
    );
    records[code] = {
      actor,
      actor2: await post(
        '/api/v1/actors?allowSimilar=true',
        actorInput({ name: `Formdublet ${code}`, homeMunicipalityCode: code, municipalityCodes: [] }),
      ),
      agreement: await post('/api/v1/agreements', {
        title: `Formaftale ${code}`,
        kind: 'formal',
        actorIds: [actor],
        startsOn: '2026-01-01',
      }),
      outreach: await post('/api/v1/outreach', outreachBody(actor, `Formenhed ${code}`)),
      user: (await h.as('viewer', code)).user.id,
      ...(await paidGrantOf(owner, actor, code)),
    };
  }
  type Form = { route: string; area: Exclude<Area, 'account' | 'setup'>; create?: true; url(code: number): string };
  const forms: Form[] = [
    { route: '/actors/new', area: 'actors', create: true, url: () => '/actors/new' },
    { route: '/actors/quick', area: 'actors', create: true, url: () => '/actors/quick' },
    {
      route: '/actors/merge',
      area: 'actors',
      create: true,
      url: () => `/actors/merge?ids=${records[OWN]?.actor}&ids=${records[OWN]?.actor2}`,
    },
    { route: '/actors/:id/edit', area: 'actors', url: (c) => `/actors/${records[c]?.actor}/edit` },
    { route: '/agreements/new', area: 'agreements', create: true, url: () => '/agreements/new' },
    { route: '/agreements/:id/edit', area: 'agreements', url: (c) => `/agreements/${records[c]?.agreement}/edit` },
    { route: '/grants/new', area: 'grants', create: true, url: () => '/grants/new' },
    { route: '/grant-rounds/:id/edit', area: 'grants', url: (c) => `/grant-rounds/${records[c]?.round}/edit` },
    { route: '/grants/:id/edit', area: 'grants', url: (c) => `/grants/${records[c]?.grant}/edit` },
    {
      route: '/grants/:id/payments/:paymentId/edit',
      area: 'grants',
      url: (c) => `/grants/${records[c]?.grant}/payments/${records[c]?.payment}/edit`,
    },
    { route: '/outreach/new', area: 'agreements', create: true, url: () => '/outreach/new' },
    { route: '/outreach/:id/edit', area: 'agreements', url: (c) => `/outreach/${records[c]?.outreach}/edit` },
    { route: '/admin/users/:userId/edit', area: 'users', url: (c) => `/admin/users/${records[c]?.user}/edit` },
  ];
  t.same(
    formRoutesInSource().filter((r) => !forms.some((f) => f.route === r)),
    [],
    'every form page in src/modules is in the table',
  );

  const denied = async () =>
    Number(
      (await h.database.rows<{ n: number }>(sql`select count(*)::int as n from audit_log where action = 'denied'`))[0]
        ?.n ?? 0,
    );
  const lines: string[] = [];
  for (const form of forms) {
    const cells: string[] = [];
    for (const role of roles) {
      for (const scope of form.create ? (['own'] as Scope[]) : scopes) {
        const code = scope === 'own' ? OWN : FOREIGN;
        const allowed = scope === 'own' && WRITERS[form.area].includes(role);
        const before = await denied();
        const res = await (clients[role] as Client).inject({ method: 'GET', url: form.url(code) });
        const label = `GET ${form.route} as ${role}, ${scope}`;
        cells.push(`${res.statusCode}`);
        if (allowed) {
          t.equal(res.statusCode, 200, `${label}: 200`);
          t.ok(res.body.includes('<form'), `${label}: the form`);
        } else {
          t.equal(res.statusCode, 403, `${label}: 403 at once`);
          t.ok(res.body.includes('<code>FORBIDDEN</code>'), `${label}: the normal error page`);
          t.equal((await denied()) - before, 1, `${label}: the refusal is in the audit trail`);
        }
      }
    }
    lines.push(`${form.route.padEnd(26)} ${cells.join(' ')}`);
  }
  t.comment(['form page                  admin, coordinator, finance, viewer (own [foreign])', ...lines].join('\n'));
});

// ==== audit scope (issue 16, point 5): reading the audit trail, role × own and foreign municipality ====
// Kept apart from the write matrix above, so the two parts merge without conflict.

/** Who reads the audit trail (the rule written out, not imported): admin and finance, their own municipality's. */
const AUDIT_READERS: Role[] = ['admin', 'finance'];

t.test('the audit trail: each role × records of its own and of a foreign municipality', async (t) => {
  // New admins, whose records are the only ones by them in either trail.
  const admin101 = await h.as('admin', OWN);
  const admin751 = await h.as('admin', FOREIGN);
  const markerOf = async (client: Client, name: string) => {
    const res = await client.inject({
      method: 'POST',
      url: '/api/v1/actors',
      payload: actorInput({ name, homeMunicipalityCode: client.user.municipalityCode }),
    });
    t.equal(res.statusCode, 201, `${name} created`);
    return (res.json() as { id: number }).id;
  };
  // One record in each municipality's trail: an actor made by its admin.
  const markers: Record<number, number> = {
    [OWN]: await markerOf(admin101, 'Spor i København'),
    [FOREIGN]: await markerOf(admin751, 'Spor i Aarhus'),
  };
  const authors: Record<number, number> = { [OWN]: admin101.user.id, [FOREIGN]: admin751.user.id };
  const shows = (body: string, code: number) => body.includes(`href="/actors/${markers[code]}/history"`);

  for (const role of roles) {
    for (const code of [OWN, FOREIGN]) {
      const other = code === OWN ? FOREIGN : OWN;
      const label = `${role} of ${code}`;
      const reader = await h.as(role, code);
      const page = await reader.inject({ method: 'GET', url: '/audit?entity=actor' });
      const byOther = await reader.inject({
        method: 'GET',
        url: `/audit?userId=${authors[other]}`,
        headers: { 'hx-request': 'true', 'hx-target': 'audit-results' },
      });
      if (!AUDIT_READERS.includes(role)) {
        t.equal(page.statusCode, 403, `${label}: GET /audit is refused`);
        t.notOk(shows(page.body, code) || shows(page.body, other), `${label}: the refusal shows no record`);
        t.equal(byOther.statusCode, 403, `${label}: filtered, refused too`);
        continue;
      }
      t.equal(page.statusCode, 200, `${label}: GET /audit`);
      t.ok(shows(page.body, code), `${label}: its own municipality's record is there`);
      t.notOk(shows(page.body, other), `${label}: the other municipality's is not`);
      t.equal(byOther.statusCode, 200);
      t.match(byOther.body, /\b0 registreringer/, `${label}: filtered on the other municipality's user, nothing`);
    }
  }
});
// ==== audit scope: end ====

/**
 * The contact rule as a table: who sees an actor's contact persons (names, e-mails, phones). Written
 * out here, not imported from src/lib/policy.ts:
 *
 *   sees the contacts                                   every role of that municipality
 *   the actor's home municipality, or one it works in   yes
 *   an agreement that is active and in its period       yes
 *   a draft agreement, an ended one, or an active one
 *     past its end date or not yet begun                no
 *   a grant awarded (above 0 kr.) in the last 3 years   yes
 *   a grant only applied for, or awarded longer ago     no
 *
 * Each case is an actor of 101 (København) looked at by every role of 751 (Aarhus), whose admin
 * made the agreement or grant, through the API and the page.
 */
t.test('contact persons: who sees them (the contact rule)', async (t) => {
  const aarhus = await h.as('admin', FOREIGN);
  const today = danishDate();
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as { id: number }[];
  const group = groups[0]?.id as number;
  const round = (
    await aarhus.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: 'Kontaktreglens pulje', budgetOre: 100_000_000 },
    })
  ).json();

  let serial = 0;
  async function actor(municipalityCodes: number[] = []): Promise<number> {
    serial += 1;
    const res = await h.inject({
      method: 'POST',
      url: '/api/v1/actors?allowSimilar=true',
      payload: actorInput({
        name: `Kontaktregel ${serial}`,
        municipalityCodes,
        contacts: [{ name: `Kontaktperson Nr${serial}`, email: `person${serial}@example.dk` }],
      }),
    });
    if (res.statusCode !== 201) throw new Error(`actor: ${res.body}`);
    return res.json().id;
  }
  async function agreement(
    actorId: number,
    period: { startsOn: string; endsOn?: string },
    status: 'draft' | 'active' | 'ended',
  ) {
    const res = await aarhus.inject({
      method: 'POST',
      url: '/api/v1/agreements',
      payload: {
        title: `Aftale ${serial}`,
        kind: 'formal',
        actorIds: [actorId],
        ...period,
        status: status === 'ended' ? 'active' : status,
      },
    });
    if (res.statusCode !== 201) throw new Error(`agreement: ${res.body}`);
    if (status === 'ended') {
      const ended = await aarhus.inject({
        method: 'PATCH',
        url: `/api/v1/agreements/${res.json().id}`,
        payload: { version: res.json().version, status: 'ended' },
      });
      if (ended.statusCode !== 200) throw new Error(`ending: ${ended.body}`);
    }
  }
  async function grant(actorId: number, award: { awardedOre: number; decisionOn: string } | null) {
    const res = await aarhus.inject({
      method: 'POST',
      url: '/api/v1/grants',
      payload: { roundId: round.id, actorId, title: `Ansøgning ${serial}`, requestedOre: 1 },
    });
    if (res.statusCode !== 201) throw new Error(`grant: ${res.body}`);
    if (!award) return;
    const approved = await aarhus.inject({
      method: 'POST',
      url: `/api/v1/grants/${res.json().id}/transitions`,
      payload: { to: 'approved', version: 1, targetGroupId: group, ...award },
    });
    if (approved.statusCode !== 200) throw new Error(`approval: ${approved.body}`);
  }

  /** An actor of 101 with a tie to 751 made by `tie`. */
  const tied = (tie: (id: number) => Promise<void>) => async () => {
    const id = await actor();
    await tie(id);
    return id;
  };
  const yesterday = addDays(today, -1);
  const tomorrow = addDays(today, 1);
  const cases: { label: string; sees: boolean; make(): Promise<number> }[] = [
    { label: 'no tie with 751', sees: false, make: () => actor() },
    { label: 'the actor works in 751', sees: true, make: () => actor([FOREIGN]) },
    {
      label: 'a draft agreement in its period',
      sees: false,
      make: tied((id) => agreement(id, { startsOn: addMonths(today, -1) }, 'draft')),
    },
    {
      label: 'an active agreement in its period',
      sees: true,
      make: tied((id) => agreement(id, { startsOn: addMonths(today, -1), endsOn: tomorrow }, 'active')),
    },
    {
      label: 'an active agreement past its end date',
      sees: false,
      make: tied((id) => agreement(id, { startsOn: addMonths(today, -13), endsOn: yesterday }, 'active')),
    },
    {
      label: 'an active agreement not yet begun',
      sees: false,
      make: tied((id) => agreement(id, { startsOn: tomorrow }, 'active')),
    },
    {
      label: 'an ended agreement',
      sees: false,
      make: tied((id) => agreement(id, { startsOn: addMonths(today, -1) }, 'ended')),
    },
    {
      label: 'a grant applied for (1 øre), not awarded',
      sees: false,
      make: tied((id) => grant(id, null)),
    },
    {
      label: 'a grant awarded 2 years ago',
      sees: true,
      make: tied((id) => grant(id, { awardedOre: 500_000, decisionOn: addMonths(today, -24) })),
    },
    {
      label: 'a grant awarded 3 years and a day ago',
      sees: false,
      make: tied((id) => grant(id, { awardedOre: 500_000, decisionOn: addDays(addMonths(today, -36), -1) })),
    },
  ];

  const viewers = Object.fromEntries(
    await Promise.all(roles.map(async (role) => [role, await h.as(role, FOREIGN)] as const)),
  ) as Record<Role, Client>;
  const lines: string[] = [];
  for (const c of cases) {
    const id = await c.make();
    const name = `Kontaktperson Nr${serial}`;
    const cells: string[] = [];
    for (const role of roles) {
      const viewer = viewers[role];
      const api = (await viewer.inject({ method: 'GET', url: `/api/v1/actors/${id}` })).json();
      const page = await viewer.inject({ method: 'GET', url: `/actors/${id}` });
      const apiSees = api.contactsVisible === true && api.contacts.some((p: { name: string }) => p.name === name);
      const pageSees = page.body.includes(name);
      t.equal(apiSees, c.sees, `${c.label}: a ${role} of 751 ${c.sees ? 'sees' : 'does not see'} the contacts (API)`);
      t.equal(pageSees, c.sees, `${c.label}: … and on the page`);
      if (!c.sees) t.same(api.contacts, [], `${c.label}: the API sends none`);
      cells.push(apiSees && pageSees ? 'sees' : !apiSees && !pageSees ? '–' : '!');
    }
    // The actor's home municipality always sees them.
    const home = await h.as('viewer', OWN);
    t.ok(
      (await home.inject({ method: 'GET', url: `/api/v1/actors/${id}` })).json().contacts.length === 1,
      `${c.label}: a viewer of the home municipality sees them`,
    );
    lines.push(`${c.label.padEnd(42)} ${cells.map((x) => x.padEnd(6)).join(' ')}`);
  }
  t.comment(
    ['contact rule, as seen by 751:', `${''.padEnd(42)} ${roles.map((r) => r.padEnd(6)).join(' ')}`, ...lines].join(
      '\n',
    ),
  );
});
