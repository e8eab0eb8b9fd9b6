import { sql } from 'drizzle-orm';
import t from 'tap';
import { actorInput } from '../../factories.ts';
import { buildTestApp, type Client, readReferences, type TestApp } from '../../helper.ts';
import { associationForm, ffbGroup, roundOf, tokenFrom, visitor } from './fixture.ts';

/**
 * Issue 21, the staff side: a round's applications as an inbox in three tabs (drafts never shown),
 * the application's page with the registry's actor proposed by CVR number or similar name, confirming
 * it or creating it through the registry's duplicate guard, and starting the review, each
 * version-checked and audited; and only for the round's own municipality.
 */

const groupForm = (groupId: number, groupName: string, extra: Record<string, string> = {}) =>
  associationForm(groupId, {
    applicantKind: 'informal_group',
    organisationName: '',
    cvr: '',
    groupName,
    responsibleName: 'Rasmus Ansvarlig',
    contactEmail: `${groupName.replace(/\W/g, '').toLowerCase()}@example.dk`,
    projectTitle: `Projekt for ${groupName}`,
    ...extra,
  });

/**
 * One app for all the tests. Each has its own round, sent from its own IP address (the form has a
 * limit per address), and its own CVR number for the association: the registry holds one actor per
 * CVR number, and an actor with it would be proposed for another test's application.
 */
const h = await buildTestApp(t);

/**
 * A round of København, named `name`, with: an association's application (CVR number `cvr`), a
 * group's, and a draft, sent from the address `ip`.
 */
async function inboxFixture(h: TestApp, name: string, cvr: string, ip: string) {
  const roundId = await roundOf(h, name);
  const groupId = await ffbGroup(h, 'Hjemløshed');
  const page = `/public/rounds/${roundId}/apply`;
  const v = await visitor(h.app, page, ip);
  const sent = async (form: Record<string, string | string[]>) => {
    const res = await v.post(page, form);
    if (res.statusCode !== 303) throw new Error(`not applied: ${res.statusCode} ${res.body.slice(0, 300)}`);
    const token = tokenFrom(res.headers.location);
    const [row] = await h.database.rows<{ id: number; version: number }>(
      sql`select id, version from applications order by id desc limit 1`,
    );
    return { token, id: row?.id as number };
  };
  const association = await sent(associationForm(groupId, { cvr }));
  const group = await sent(groupForm(groupId, 'Naboerne på Amager'));
  const draft = await sent(
    associationForm(groupId, { intent: 'draft', organisationName: 'Kladdeforeningen', contactEmail: 'k@x.dk', cvr }),
  );
  return { roundId, groupId, association, group, draft, v };
}

const versionOf = async (h: TestApp, id: number) =>
  (await h.database.rows<{ version: number }>(sql`select version from applications where id = ${id}`))[0]
    ?.version as number;

t.test('the inbox: three tabs with counts, paged, drafts never shown; the round links to it', async (t) => {
  const { roundId, association, group, draft } = await inboxFixture(h, 'Indbakkepuljen', '12345607', '203.0.113.1');
  const viewer = await h.as('viewer', 101);

  const inbox = await viewer.inject({ method: 'GET', url: `/grant-rounds/${roundId}/applications` });
  t.equal(inbox.statusCode, 200);
  t.match(inbox.body, /Nye \(2\)/);
  t.match(inbox.body, /Under behandling \(0\)/);
  t.match(inbox.body, /Afgjorte \(0\)/);
  t.match(inbox.body, /Foreningen Fællesskab/);
  t.match(inbox.body, /Naboerne på Amager<\/a> <span class="badge badge-info">Uformel gruppe/);
  t.match(inbox.body, /24\.000,50 kr\./, 'the amount applied for, formatted');
  t.notMatch(inbox.body, /Kladdeforeningen/, 'a draft is not in the inbox');
  t.match(inbox.body, new RegExp(`href="/applications/${association.id}"`));
  t.match(inbox.body, new RegExp(`href="/applications/${group.id}"`));
  t.match(inbox.body, /Ikke i registret/, 'no actor to propose yet');

  const round = await viewer.inject({ method: 'GET', url: `/grant-rounds/${roundId}` });
  t.match(round.body, new RegExp(`href="/grant-rounds/${roundId}/applications">Se puljens ansøgninger \\(2 nye\\)`));
  const foreignRound = await (await h.as('viewer', 751)).inject({ method: 'GET', url: `/grant-rounds/${roundId}` });
  t.equal(foreignRound.statusCode, 200, 'another municipality reads the round');
  t.notMatch(foreignRound.body, /applications"/, 'but not its inbox link');

  // A draft is never shown to staff: not its page, not in the API.
  t.equal((await viewer.inject({ method: 'GET', url: `/applications/${draft.id}` })).statusCode, 404);
  t.equal((await viewer.inject({ method: 'GET', url: `/api/v1/applications/${draft.id}` })).statusCode, 404);
  const listed = (await viewer.inject({ method: 'GET', url: `/api/v1/applications?roundId=${roundId}` })).json();
  t.same(
    listed.items.map((a: { id: number }) => a.id),
    [association.id, group.id],
  );
  t.equal(listed.total, 2);

  // Paged in SQL: 51 applications make two pages.
  await h.database.rows(
    sql`insert into applications (round_id, applicant_id, status, organisation_name, contact_email, submitted_at, consent_at)
        select ${roundId}, applicant_id, 'submitted', 'Mængdeforening ' || n, contact_email, now() + n * interval '1 second', now()
        from applications, generate_series(1, 49) n where id = ${association.id}`,
  );
  const first = await viewer.inject({ method: 'GET', url: `/grant-rounds/${roundId}/applications` });
  t.match(first.body, /Nye \(51\)/);
  t.equal((first.body.match(/href="\/applications\/\d+"/g) ?? []).length, 50, 'fifty a page');
  t.match(first.body, /Side 1 af 2/);
  const second = await viewer.inject({ method: 'GET', url: `/grant-rounds/${roundId}/applications?page=2` });
  t.equal((second.body.match(/href="\/applications\/\d+"/g) ?? []).length, 1);
  t.match(second.body, /Mængdeforening 49/);
});

t.test('matching: by CVR proposed and confirmed, version-checked and audited', async (t) => {
  const cvr = '12345615';
  const { roundId, association } = await inboxFixture(h, 'Puljen med forslag', cvr, '203.0.113.2');
  const actor = await h.inject({
    method: 'POST',
    url: '/api/v1/actors?allowSimilar=true',
    payload: actorInput({ name: 'Fællesskabet i Valby', cvr }),
  });
  t.equal(actor.statusCode, 201);
  const actorId = actor.json().id as number;
  const coordinator = await h.as('coordinator', 101);

  const inbox = await coordinator.inject({ method: 'GET', url: `/grant-rounds/${roundId}/applications` });
  t.match(readReferences(inbox.body), /Forslag – skal bekræftes/, 'the CVR number proposes the actor');
  const page = await coordinator.inject({ method: 'GET', url: `/applications/${association.id}` });
  t.equal(page.statusCode, 200);
  t.match(page.body, /En aktør i registret har samme CVR-nummer/);
  t.match(page.body, new RegExp(`href="/actors/${actorId}">Fællesskabet i Valby</a> \\(CVR ${cvr}\\)`));
  t.match(page.body, /Fællesspisning for hjemløse/, 'what the applicant sent');
  t.match(page.body, /Råvarer: 20\.000,00 kr\./);
  t.match(page.body, /25 deltagere/);
  t.match(page.body, /København, Frederiksberg/);

  const version = await versionOf(h, association.id);
  const stale = await coordinator.postForm(`/applications/${association.id}/actor`, {
    actorId: String(actorId),
    version: String(version + 1),
  });
  t.equal(stale.statusCode, 409, 'a stale version is refused');
  const viewer = await h.as('viewer', 101);
  const refused = await viewer.postForm(`/applications/${association.id}/actor`, {
    actorId: String(actorId),
    version: String(version),
  });
  t.equal(refused.statusCode, 403, 'a viewer only reads');
  const confirmed = await coordinator.postForm(`/applications/${association.id}/actor`, {
    actorId: String(actorId),
    version: String(version),
  });
  t.equal(confirmed.statusCode, 303, confirmed.body.slice(0, 300));
  const [row] = await h.database.rows<{ actor_id: number; version: number }>(
    sql`select actor_id, version from applications where id = ${association.id}`,
  );
  t.same(row, { actor_id: actorId, version: version + 1 });
  const audit = await h.database.rows<{ action: string; user_id: number }>(
    sql`select action, user_id from audit_log where entity = 'application' and entity_id = ${String(association.id)} and action = 'application_actor_set'`,
  );
  t.same(audit, [{ action: 'application_actor_set', user_id: coordinator.user.id }]);
  const after = await coordinator.inject({ method: 'GET', url: `/grant-rounds/${roundId}/applications` });
  t.match(after.body, new RegExp(`Bekræftet: <a href="/actors/${actorId}">Fællesskabet i Valby</a>`));

  // The actor's overdue report from an earlier grant shows in the inbox and on the page.
  const finance = await h.as('finance', 101);
  const old = await finance.inject({
    method: 'POST',
    url: '/api/v1/grant-rounds',
    payload: { year: 2024, name: 'Gammel pulje', budgetOre: 10_000_000 },
  });
  const grant = await finance.inject({
    method: 'POST',
    url: '/api/v1/grants',
    payload: {
      roundId: old.json().id,
      actorId,
      title: 'Sidste års spisning',
      requestedOre: 100_000,
      reportDueOn: '2025-06-01',
    },
  });
  t.equal(grant.statusCode, 201, grant.body);
  const group = await ffbGroup(h, 'Hjemløshed');
  const approved = await finance.inject({
    method: 'POST',
    url: `/api/v1/grants/${grant.json().id}/transitions`,
    payload: { to: 'approved', version: 1, awardedOre: 100_000, targetGroupId: group },
  });
  t.equal(approved.statusCode, 200, approved.body);
  const marked = await coordinator.inject({ method: 'GET', url: `/grant-rounds/${roundId}/applications` });
  t.match(marked.body, /Mangler afrapportering/);
  const shown = await coordinator.inject({ method: 'GET', url: `/applications/${association.id}` });
  t.match(readReferences(shown.body), /Sidste års spisning<\/a> – Afrapportering senest 01\.06\.2025/);
});

t.test('creating the actor: through the duplicate guard, by the group name, in one transaction', async (t) => {
  const cvr = '12345623';
  const { group, association } = await inboxFixture(h, 'Puljen med ny aktør', cvr, '203.0.113.3');
  const actors = async () => (await h.database.rows<{ n: number }>(sql`select count(*)::int as n from actors`))[0]?.n;
  const actorsBefore = (await actors()) as number;
  const similar = await h.inject({
    method: 'POST',
    url: '/api/v1/actors?allowSimilar=true',
    payload: actorInput({ name: 'Naboerne på Amager Strand', cvr: null }),
  });
  t.equal(similar.statusCode, 201);
  const finance = await h.as('finance', 101);

  const page = await finance.inject({ method: 'GET', url: `/applications/${group.id}` });
  t.match(page.body, /disse har et navn, der ligner/);
  t.match(page.body, /Naboerne på Amager Strand/);
  t.notMatch(page.body, /name="orgType"/, 'an informal group is an informal group');

  const version = await versionOf(h, group.id);
  const noRoles = await finance.postForm(`/applications/${group.id}/new-actor`, { version: String(version) });
  t.equal(noRoles.statusCode, 422);
  t.match(noRoles.body, /field-roles-error/);
  const guarded = await finance.postForm(`/applications/${group.id}/new-actor`, {
    version: String(version),
    roles: 'inclusion_arena',
  });
  t.equal(guarded.statusCode, 422, 'similar names are refused until confirmed');
  t.match(guarded.body, /id="field-allowSimilar"/);
  t.equal(await actors(), actorsBefore + 1, 'nothing was written');
  t.equal(await versionOf(h, group.id), version);

  const created = await finance.postForm(`/applications/${group.id}/new-actor`, {
    version: String(version),
    roles: 'inclusion_arena',
    allowSimilar: 'on',
  });
  t.equal(created.statusCode, 303, created.body.slice(0, 300));
  const [actor] = await h.database.rows<{
    id: number;
    name: string;
    org_type: string;
    roles: string[];
    home_municipality_code: number;
    contacts: number;
  }>(
    sql`select a.id, a.name, a.org_type, a.roles, a.home_municipality_code,
        (select count(*)::int from actor_contacts c where c.actor_id = a.id) as contacts
        from actors a join applications p on p.actor_id = a.id where p.id = ${group.id}`,
  );
  t.match(actor, {
    name: 'Naboerne på Amager',
    org_type: 'informal_group',
    roles: ['inclusion_arena'],
    home_municipality_code: 101,
    contacts: 0,
  });
  const persons = await h.database.rows(sql`select 1 from actors where name like '%Rasmus%'`);
  t.same(persons, [], 'no person’s name in the registry');
  const audited = await h.database.rows<{ entity: string; action: string }>(
    sql`select entity, action from audit_log where user_id = ${finance.user.id} and entity <> 'login' order by id`,
  );
  t.same(
    audited.map((a) => `${a.entity}:${a.action}`),
    ['actor:create', 'application:application_actor_set'],
  );

  // An organisation whose CVR number is registered: the registry refuses a second, nothing written.
  const registered = await h.inject({
    method: 'POST',
    url: '/api/v1/actors?allowSimilar=true',
    payload: actorInput({ name: 'Helt andet navn', cvr }),
  });
  t.equal(registered.statusCode, 201);
  const twice = await finance.postForm(`/applications/${association.id}/new-actor`, {
    version: String(await versionOf(h, association.id)),
    roles: 'advocate',
    allowSimilar: 'on',
  });
  t.equal(twice.statusCode, 422);
  t.match(twice.body, new RegExp(`href="/actors/${registered.json().id}">Helt andet navn`));
  t.equal(await actors(), actorsBefore + 3);
});

t.test('start review: submitted → under review, version-checked, audited, once', async (t) => {
  const { roundId, association } = await inboxFixture(h, 'Puljen under behandling', '12345631', '203.0.113.4');
  const coordinator = await h.as('coordinator', 101);
  const page = await coordinator.inject({ method: 'GET', url: `/applications/${association.id}` });
  t.match(page.body, /<button class="button button-primary" type="submit"[^>]*>Start behandling<\/button>/);
  const viewerPage = await (await h.as('viewer', 101)).inject({
    method: 'GET',
    url: `/applications/${association.id}`,
  });
  t.notMatch(viewerPage.body, /Start behandling/, 'a viewer gets no button');
  t.notMatch(viewerPage.body, /Opret aktør/);

  const version = await versionOf(h, association.id);
  const start = (c: Client, v: number) =>
    c.postForm(`/applications/${association.id}/start-review`, { version: String(v) });
  const viewer = await h.as('viewer', 101);
  t.equal((await start(viewer, version)).statusCode, 403);
  const incomplete = await viewer.postForm(`/applications/${association.id}/new-actor`, { version: 'x' });
  t.equal(incomplete.statusCode, 403, 'who may act is checked before what is sent');
  t.equal((await start(coordinator, version - 1)).statusCode, 409);
  const started = await start(coordinator, version);
  t.equal(started.statusCode, 303);
  const [row] = await h.database.rows<{ status: string }>(
    sql`select status from applications where id = ${association.id}`,
  );
  t.equal(row?.status, 'under_review');
  t.equal((await start(coordinator, version + 1)).statusCode, 409, 'only a new application starts');
  const audit = await h.database.rows(
    sql`select 1 from audit_log where action = 'application_review_started' and entity_id = ${String(association.id)}`,
  );
  t.equal(audit.length, 1);

  const inbox = await coordinator.inject({ method: 'GET', url: `/grant-rounds/${roundId}/applications?tab=review` });
  t.match(inbox.body, /Nye \(1\)/);
  t.match(inbox.body, /Under behandling \(1\)/);
  t.match(inbox.body, /Foreningen Fællesskab/);
  t.match(inbox.body, /aria-current="page">Under behandling/);
  const after = await coordinator.inject({ method: 'GET', url: `/applications/${association.id}` });
  t.match(after.body, new RegExp(`href="/applications/${association.id}/review"`), 'the review is linked');
  const listed = await coordinator.inject({
    method: 'GET',
    url: `/api/v1/applications?roundId=${roundId}&status=under_review`,
  });
  t.same(
    listed.json().items.map((a: { id: number; status: string }) => [a.id, a.status]),
    [[association.id, 'under_review']],
  );
});

t.test('whoever declared a conflict of interest neither confirms nor creates the applicant’s actor', async (t) => {
  const cvr = '12345658';
  const { roundId, association, group } = await inboxFixture(h, 'Puljen med inhabilitet', cvr, '203.0.113.5');
  const actors = async () => (await h.database.rows<{ n: number }>(sql`select count(*)::int as n from actors`))[0]?.n;
  const actorsBefore = (await actors()) as number;
  const actor = await h.inject({
    method: 'POST',
    url: '/api/v1/actors?allowSimilar=true',
    payload: actorInput({ name: 'Fællesskabet i Valby', cvr }),
  });
  const actorId = actor.json().id as number;
  const coordinator = await h.as('coordinator', 101);
  for (const id of [association.id, group.id]) {
    const declared = await coordinator.postForm(`/applications/${id}/review/conflict`, {
      reason: 'Jeg er medlem af foreningen.',
      confirm: 'yes',
    });
    t.equal(declared.statusCode, 303, 'the conflict is declared');
  }
  const confirm = await coordinator.postForm(`/applications/${association.id}/actor`, {
    actorId: String(actorId),
    version: String(await versionOf(h, association.id)),
  });
  t.equal(confirm.statusCode, 403, 'confirming the actor is refused');
  t.match(confirm.body, /<code>REVIEWER_CONFLICTED<\/code>/, 'coded');
  const create = await coordinator.postForm(`/applications/${group.id}/new-actor`, {
    version: String(await versionOf(h, group.id)),
    roles: 'inclusion_arena',
    allowSimilar: 'yes',
  });
  t.equal(create.statusCode, 403, 'creating it is refused');
  t.match(create.body, /<code>REVIEWER_CONFLICTED<\/code>/);
  const inbox = h.app.services.applicationInbox;
  await t.rejects(
    inbox.confirmActor({ userId: coordinator.user.id, municipalityCode: 101, role: 'coordinator' }, association.id, {
      actorId,
      version: await versionOf(h, association.id),
    }),
    { code: 'REVIEWER_CONFLICTED' },
    'the service refuses too, whatever the route',
  );
  const matched = await h.database.rows<{ n: number }>(
    sql`select count(*)::int as n from applications where actor_id is not null and round_id = ${roundId}`,
  );
  t.equal(matched[0]?.n, 0, 'no application matched');
  t.equal(await actors(), actorsBefore + 1, 'none created');

  const other = await h.as('coordinator', 101);
  const confirmed = await other.postForm(`/applications/${association.id}/actor`, {
    actorId: String(actorId),
    version: String(await versionOf(h, association.id)),
  });
  t.equal(confirmed.statusCode, 303, 'another coordinator of the municipality confirms it');
});
