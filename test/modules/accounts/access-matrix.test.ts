import { sql } from 'drizzle-orm';
import t from 'tap';
import type { Role } from '../../../src/lib/principal.ts';
import { actorInput } from '../../factories.ts';
import { buildTestApp, type Client } from '../../helper.ts';

/**
 * Every mutating route, HTML and API, × each role × the user's own municipality (101) and a
 * foreign one (751), with the status each must answer. Afterwards: no write into another
 * municipality succeeded, and every refusal is in the audit trail.
 */
const roles: Role[] = ['admin', 'coordinator', 'finance', 'viewer'];
type Scope = 'own' | 'foreign';

interface Target {
  municipalityCode: number;
  actorId: number;
  contactId: number;
  userId: number;
  roundId: number;
  grantId: number;
}

interface Route {
  name: string;
  /** Who may: the statuses for allowed and refused callers. */
  area: 'actors' | 'targetGroups' | 'grants' | 'users' | 'account';
  ok: number;
  scopes: Scope[];
  send(client: Client, target: Target, tag: string): Promise<{ statusCode: number }>;
  /** Did the write land? Checked for every refused call. */
  landed(target: Target, tag: string): Promise<boolean>;
}

t.test('route × role × municipality', async (t) => {
  const h = await buildTestApp(t);
  const admins: Record<number, Client> = { 101: h, 751: await h.as('admin', 751) };
  const clients = Object.fromEntries(
    await Promise.all(roles.map(async (r) => [r, r === 'admin' ? h : await h.as(r, 101)] as const)),
  ) as Record<Role, Client>;
  const stofmisbrug = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' }))
    .json()
    .find((g: { nameDa: string }) => g.nameDa === 'Stofmisbrug').id as number;

  let serial = 0;
  /** A fresh actor (with one contact) and a fresh user in the municipality, made by its own admin. */
  async function freshTarget(municipalityCode: number): Promise<Target> {
    serial += 1;
    const admin = admins[municipalityCode] as Client;
    const actor = await admin.inject({
      method: 'POST',
      url: '/api/v1/actors?allowSimilar=true',
      payload: actorInput({
        name: `Matrixforening ${serial}`,
        homeMunicipalityCode: municipalityCode,
        municipalityCodes: [municipalityCode],
      }),
    });
    const body = actor.json();
    const user = await h.app.services.accounts.createUser(
      { userId: null, municipalityCode: null, role: null },
      {
        email: `target${serial}@test.dk`,
        name: `Mål ${serial}`,
        password: 'en lang adgangskode',
        role: 'viewer',
        municipalityCode,
      },
      { system: true },
    );
    const round = await admin.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: `Pulje ${serial}`, budgetOre: 10_000_000 },
    });
    const grant = await admin.inject({
      method: 'POST',
      url: '/api/v1/grants',
      payload: { roundId: round.json().id, actorId: body.id, title: 'Ansøgning', requestedOre: 100_000 },
    });
    return {
      municipalityCode,
      actorId: body.id,
      contactId: body.contacts[0].id,
      userId: user.id,
      roundId: round.json().id,
      grantId: grant.json().id,
    };
  }
  const actorRow = async (id: number) =>
    (
      await h.database.rows<{ version: number; status: string; phone: string | null }>(
        sql`select version, status, phone from actors where id = ${id}`,
      )
    )[0];
  const countWhere = async (query: ReturnType<typeof sql>) =>
    Number((await h.database.rows<{ n: number }>(query))[0]?.n ?? 0);
  const form = (fields: Record<string, string | string[]>) => fields;

  const routes: Route[] = [
    {
      name: 'API POST /api/v1/actors',
      area: 'actors',
      ok: 201,
      scopes: ['own', 'foreign'],
      send: (c, tg, tag) =>
        c.inject({
          method: 'POST',
          url: '/api/v1/actors?allowSimilar=true',
          payload: actorInput({ name: tag, homeMunicipalityCode: tg.municipalityCode }),
        }),
      landed: async (_tg, tag) =>
        (await countWhere(sql`select count(*)::int as n from actors where name = ${tag}`)) > 0,
    },
    {
      name: 'API PATCH /api/v1/actors/:id',
      area: 'actors',
      ok: 200,
      scopes: ['own', 'foreign'],
      send: (c, tg) =>
        c.inject({
          method: 'PATCH',
          url: `/api/v1/actors/${tg.actorId}`,
          payload: { version: 1, phone: '99 99 99 99' },
        }),
      landed: async (tg) => (await actorRow(tg.actorId))?.version !== 1,
    },
    {
      name: 'API POST /api/v1/actors/:id/archive',
      area: 'actors',
      ok: 200,
      scopes: ['own', 'foreign'],
      send: (c, tg) => c.inject({ method: 'POST', url: `/api/v1/actors/${tg.actorId}/archive` }),
      landed: async (tg) => (await actorRow(tg.actorId))?.status === 'archived',
    },
    {
      name: 'API POST /api/v1/actors/:id/contacts/:contactId/erase',
      area: 'actors',
      ok: 204,
      scopes: ['own', 'foreign'],
      send: (c, tg) =>
        c.inject({
          method: 'POST',
          url: `/api/v1/actors/${tg.actorId}/contacts/${tg.contactId}/erase`,
          payload: { mode: 'delete' },
        }),
      landed: async (tg) =>
        (await countWhere(sql`select count(*)::int as n from actor_contacts where id = ${tg.contactId}`)) === 0,
    },
    {
      name: 'API POST /api/v1/target-groups',
      area: 'targetGroups',
      ok: 201,
      scopes: ['own', 'foreign'],
      send: (c, tg, tag) =>
        c.inject({
          method: 'POST',
          url: '/api/v1/target-groups',
          payload: { nameDa: tag, parentId: stofmisbrug, municipalityCode: tg.municipalityCode },
        }),
      landed: async (_tg, tag) =>
        (await countWhere(sql`select count(*)::int as n from target_groups where name_da = ${tag}`)) > 0,
    },
    {
      name: 'API POST /api/v1/grant-rounds',
      area: 'grants',
      ok: 201,
      scopes: ['own', 'foreign'],
      send: (c, tg, tag) =>
        c.inject({
          method: 'POST',
          url: '/api/v1/grant-rounds',
          payload: { year: 2027, name: tag, budgetOre: 1000, municipalityCode: tg.municipalityCode },
        }),
      landed: async (_tg, tag) =>
        (await countWhere(sql`select count(*)::int as n from grant_rounds where name = ${tag}`)) > 0,
    },
    {
      name: 'API PATCH /api/v1/grant-rounds/:id',
      area: 'grants',
      ok: 200,
      scopes: ['own', 'foreign'],
      send: (c, tg) =>
        c.inject({ method: 'PATCH', url: `/api/v1/grant-rounds/${tg.roundId}`, payload: { version: 1, budgetOre: 1 } }),
      landed: async (tg) =>
        (await countWhere(sql`select count(*)::int as n from grant_rounds where id = ${tg.roundId} and version > 1`)) >
        0,
    },
    {
      name: 'API POST /api/v1/grants',
      area: 'grants',
      ok: 201,
      scopes: ['own', 'foreign'],
      send: (c, tg, tag) =>
        c.inject({
          method: 'POST',
          url: '/api/v1/grants',
          payload: { roundId: tg.roundId, actorId: tg.actorId, title: tag, requestedOre: 1000 },
        }),
      landed: async (_tg, tag) =>
        (await countWhere(sql`select count(*)::int as n from grants where title = ${tag}`)) > 0,
    },
    {
      name: 'API PATCH /api/v1/grants/:id',
      area: 'grants',
      ok: 200,
      scopes: ['own', 'foreign'],
      send: (c, tg) =>
        c.inject({ method: 'PATCH', url: `/api/v1/grants/${tg.grantId}`, payload: { version: 1, purpose: 'Ændret' } }),
      landed: async (tg) =>
        (await countWhere(sql`select count(*)::int as n from grants where id = ${tg.grantId} and version > 1`)) > 0,
    },
    {
      name: 'API POST /api/v1/grants/:id/transitions',
      area: 'grants',
      ok: 200,
      scopes: ['own', 'foreign'],
      send: (c, tg) =>
        c.inject({
          method: 'POST',
          url: `/api/v1/grants/${tg.grantId}/transitions`,
          payload: { to: 'rejected', version: 1 },
        }),
      landed: async (tg) =>
        (await countWhere(
          sql`select count(*)::int as n from grants where id = ${tg.grantId} and status = 'rejected'`,
        )) > 0,
    },
    {
      name: 'HTML POST /grant-rounds (always the user’s own municipality)',
      area: 'grants',
      ok: 303,
      scopes: ['own'],
      send: (c, _tg, tag) => c.postForm('/grant-rounds', form({ name: tag, year: '2027', budget: '1.000' })),
      landed: async (_tg, tag) =>
        (await countWhere(sql`select count(*)::int as n from grant_rounds where name = ${tag}`)) > 0,
    },
    {
      name: 'HTML POST /grant-rounds/:id/advance',
      area: 'grants',
      ok: 303,
      scopes: ['own', 'foreign'],
      send: (c, tg) => c.postForm(`/grant-rounds/${tg.roundId}/advance`, form({ version: '1' })),
      landed: async (tg) =>
        (await countWhere(
          sql`select count(*)::int as n from grant_rounds where id = ${tg.roundId} and status = 'open'`,
        )) > 0,
    },
    {
      name: 'HTML POST /grants',
      area: 'grants',
      ok: 303,
      scopes: ['own', 'foreign'],
      send: (c, tg, tag) =>
        c.postForm(
          '/grants',
          form({
            roundId: String(tg.roundId),
            actorId: String(tg.actorId),
            title: tag,
            kind: 'money',
            requested: '1.000',
          }),
        ),
      landed: async (_tg, tag) =>
        (await countWhere(sql`select count(*)::int as n from grants where title = ${tag}`)) > 0,
    },
    {
      name: 'HTML POST /grants/:id/award',
      area: 'grants',
      ok: 303,
      scopes: ['own', 'foreign'],
      send: (c, tg) =>
        c.postForm(
          `/grants/${tg.grantId}/award`,
          form({ version: '1', awarded: '1.000', wholeTo: String(stofmisbrug) }),
        ),
      landed: async (tg) =>
        (await countWhere(
          sql`select count(*)::int as n from grants where id = ${tg.grantId} and status = 'approved'`,
        )) > 0,
    },
    {
      name: 'HTML POST /grants/:id/report',
      area: 'grants',
      ok: 303,
      scopes: ['own', 'foreign'],
      send: (c, tg) =>
        c.postForm(`/grants/${tg.grantId}/report`, form({ version: '1', reportReceivedOn: '2027-05-01' })),
      landed: async (tg) =>
        (await countWhere(
          sql`select count(*)::int as n from grants where id = ${tg.grantId} and report_received_on is not null`,
        )) > 0,
    },
    {
      name: 'HTML POST /grants/:id/payments',
      area: 'grants',
      ok: 303,
      scopes: ['own', 'foreign'],
      send: async (c, tg) => {
        await admins[tg.municipalityCode]?.inject({
          method: 'POST',
          url: `/api/v1/grants/${tg.grantId}/transitions`,
          payload: { to: 'approved', version: 1, awardedOre: 100_000, targetGroupId: stofmisbrug },
        });
        return c.postForm(
          `/grants/${tg.grantId}/payments`,
          form({ version: '2', kind: 'payment', paidOn: '2026-05-01', amount: '500' }),
        );
      },
      landed: async (tg) =>
        (await countWhere(sql`select count(*)::int as n from grant_payments where grant_id = ${tg.grantId}`)) > 0,
    },
    {
      name: 'HTML POST /grants/:id/transition',
      area: 'grants',
      ok: 303,
      scopes: ['own', 'foreign'],
      send: (c, tg) => c.postForm(`/grants/${tg.grantId}/transition`, form({ version: '1', to: 'withdrawn' })),
      landed: async (tg) =>
        (await countWhere(
          sql`select count(*)::int as n from grants where id = ${tg.grantId} and status = 'withdrawn'`,
        )) > 0,
    },
    {
      name: 'HTML POST /actors',
      area: 'actors',
      ok: 303,
      scopes: ['own', 'foreign'],
      send: (c, tg, tag) =>
        c.postForm(
          '/actors',
          form({
            name: tag,
            orgType: 'association',
            roles: 'advocate',
            homeMunicipalityCode: String(tg.municipalityCode),
            allowSimilar: 'on',
          }),
        ),
      landed: async (_tg, tag) =>
        (await countWhere(sql`select count(*)::int as n from actors where name = ${tag}`)) > 0,
    },
    {
      name: 'HTML POST /actors/quick (always the user’s own municipality)',
      area: 'actors',
      ok: 303,
      scopes: ['own'],
      send: (c, _tg, tag) =>
        c.postForm('/actors/quick', form({ name: tag, 'contact[name]': 'Kontakt', allowSimilar: 'on' })),
      landed: async (_tg, tag) =>
        (await countWhere(sql`select count(*)::int as n from actors where name = ${tag}`)) > 0,
    },
    {
      name: 'HTML POST /actors/:id (edit)',
      area: 'actors',
      ok: 303,
      scopes: ['own', 'foreign'],
      send: (c, tg, tag) =>
        c.postForm(
          `/actors/${tg.actorId}`,
          form({
            name: tag,
            orgType: 'association',
            roles: 'advocate',
            homeMunicipalityCode: String(tg.municipalityCode),
            version: '1',
          }),
        ),
      landed: async (tg) => (await actorRow(tg.actorId))?.version !== 1,
    },
    {
      name: 'HTML POST /actors/:id/archive',
      area: 'actors',
      ok: 303,
      scopes: ['own', 'foreign'],
      send: (c, tg) => c.postForm(`/actors/${tg.actorId}/archive`, form({ version: '1' })),
      landed: async (tg) => (await actorRow(tg.actorId))?.status === 'archived',
    },
    {
      name: 'HTML POST /actors/:id/contacts/:contactId/erase',
      area: 'actors',
      ok: 303,
      scopes: ['own', 'foreign'],
      send: (c, tg) => c.postForm(`/actors/${tg.actorId}/contacts/${tg.contactId}/erase`, form({ mode: 'anonymise' })),
      landed: async (tg) =>
        (await countWhere(
          sql`select count(*)::int as n from actor_contacts where id = ${tg.contactId} and email is null`,
        )) > 0,
    },
    {
      name: 'HTML POST /target-groups (always the user’s own municipality)',
      area: 'targetGroups',
      ok: 303,
      scopes: ['own'],
      send: (c, _tg, tag) => c.postForm('/target-groups', form({ nameDa: tag, parentId: String(stofmisbrug) })),
      landed: async (_tg, tag) =>
        (await countWhere(sql`select count(*)::int as n from target_groups where name_da = ${tag}`)) > 0,
    },
    {
      name: 'HTML POST /admin/users (always the admin’s own municipality)',
      area: 'users',
      ok: 303,
      scopes: ['own'],
      send: (c, _tg, tag) =>
        c.postForm(
          '/admin/users',
          form({
            name: tag,
            email: `${tag.replace(/\W/g, '').toLowerCase()}@test.dk`,
            password: 'en lang adgangskode',
            role: 'viewer',
          }),
        ),
      landed: async (_tg, tag) => (await countWhere(sql`select count(*)::int as n from users where name = ${tag}`)) > 0,
    },
    ...(['deactivate', 'end-sessions'] as const).map(
      (action): Route => ({
        name: `HTML POST /admin/users/:id/${action}`,
        area: 'users',
        ok: 303,
        scopes: ['own', 'foreign'],
        send: (c, tg) => c.postForm(`/admin/users/${tg.userId}/${action}`, {}),
        landed: async (tg) =>
          action === 'deactivate'
            ? (await countWhere(sql`select count(*)::int as n from users where id = ${tg.userId} and not active`)) > 0
            : (await countWhere(
                sql`select count(*)::int as n from audit_log where entity = 'user' and entity_id = ${String(tg.userId)} and action = 'end_sessions'`,
              )) > 0,
      }),
    ),
    {
      name: 'HTML POST /admin/users/:id/activate',
      area: 'users',
      ok: 303,
      scopes: ['own', 'foreign'],
      send: async (c, tg) => {
        await h.database.rows(sql`update users set active = false where id = ${tg.userId}`);
        return c.postForm(`/admin/users/${tg.userId}/activate`, {});
      },
      landed: async (tg) =>
        (await countWhere(sql`select count(*)::int as n from users where id = ${tg.userId} and active`)) > 0,
    },
    {
      name: 'HTML POST /account/tokens (one’s own account)',
      area: 'account',
      ok: 201,
      scopes: ['own'],
      send: (c, _tg, tag) => c.postForm('/account/tokens', form({ name: tag })),
      landed: async (_tg, tag) =>
        (await countWhere(sql`select count(*)::int as n from api_tokens where name = ${tag}`)) > 0,
    },
  ];

  const results: string[] = [];
  let refused = 0;
  for (const route of routes) {
    for (const role of roles) {
      for (const scope of route.scopes) {
        const target = await freshTarget(scope === 'own' ? 101 : 751);
        const tag = `Matrix ${role} ${scope} ${serial}`;
        const allowed =
          route.area === 'account' ||
          (scope === 'own' &&
            (route.area === 'users'
              ? role === 'admin'
              : route.area === 'grants'
                ? role === 'admin' || role === 'finance'
                : role === 'admin' || role === 'coordinator'));
        const res = await route.send(clients[role], target, tag);
        const expected = allowed ? route.ok : 403;
        t.equal(res.statusCode, expected, `${route.name} as ${role}, ${scope} municipality`);
        const landed = await route.landed(target, tag);
        t.equal(landed, allowed, allowed ? 'the write landed' : 'nothing was written');
        if (!allowed) refused += 1;
        results.push(
          `${res.statusCode === expected ? 'ok ' : 'BAD'} ${String(res.statusCode).padEnd(4)}${role.padEnd(12)}${scope.padEnd(8)}${route.name}`,
        );
      }
    }
  }

  // The account's own routes, for every role: revoking a key and signing out.
  for (const role of roles) {
    const client = await h.as(role, 101);
    const created = await client.postForm('/account/tokens', { name: `Nøgle ${role}` });
    const tokenId = /action="\/account\/tokens\/(\d+)\/revoke"/.exec(created.body)?.[1];
    t.equal(
      (await client.postForm(`/account/tokens/${tokenId}/revoke`, {})).statusCode,
      303,
      `${role} revokes their own key`,
    );
    const other = await h.as('viewer', 751);
    const othersKey = /action="\/account\/tokens\/(\d+)\/revoke"/.exec(
      (await other.postForm('/account/tokens', { name: 'Andens' })).body,
    )?.[1];
    t.equal(
      (await client.postForm(`/account/tokens/${othersKey}/revoke`, {})).statusCode,
      404,
      `${role} cannot revoke another user’s key`,
    );
    t.equal((await client.postForm('/logout', {})).statusCode, 303, `${role} signs out`);
  }

  const denied = await countWhere(
    sql`select count(*)::int as n from audit_log where entity = 'access' and action = 'denied'`,
  );
  t.equal(denied, refused, 'every refusal is in the audit trail');
  t.comment(`\n${results.join('\n')}`);
});
