import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { actorInput } from '../../factories.ts';
import { buildTestApp, type Client } from '../../helper.ts';

/**
 * A grant's case handler (issue 20, point 1): an active finance user or coordinator of the grant's
 * municipality, chosen on the grant forms and in the API, refused otherwise with a coded error and
 * a Danish message, shown on the grant page, audited, and open to change until the grant is closed.
 */

const get = (c: Client, url: string) => c.inject({ method: 'GET', url });

/** An app with a finance user, an actor and a round of København's. */
async function setup(t: Test) {
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const actor = (await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput() })).json();
  const budget = { year: 2026, name: '§ 18-puljen 2026', budgetOre: 10_000_000 };
  const round = (await finance.inject({ method: 'POST', url: '/api/v1/grant-rounds', payload: budget })).json();
  return { h, finance, actor, round };
}

t.test('the case handler through the API: who may be chosen, audited, editable until closed', async (t) => {
  const { h, finance, actor, round } = await setup(t);
  const coordinator = await h.as('coordinator', 101);
  const leaving = await h.as('coordinator', 101);
  const viewer = await h.as('viewer', 101);
  const aarhus = await h.as('coordinator', 751);
  const groups = (await get(h, '/api/v1/target-groups')).json().items as { id: number }[];
  const create = (title: string, caseHandlerId: unknown) =>
    finance.inject({
      method: 'POST',
      url: '/api/v1/grants',
      payload: { roundId: round.id, actorId: actor.id, title, requestedOre: 100_000, caseHandlerId },
    });

  const created = await create('Nattevagt', coordinator.user.id);
  t.equal(created.statusCode, 201, created.body);
  t.equal(created.json().caseHandlerId, coordinator.user.id, 'a coordinator of the municipality');
  t.equal((await create('Uden sagsbehandler', null)).json().caseHandlerId, null, 'none is fine');

  const foreign = await create('Fremmed', aarhus.user.id);
  t.equal(foreign.statusCode, 400);
  t.equal(foreign.json().code, 'CASE_HANDLER_INVALID');
  t.same(foreign.json().fieldErrors, {
    caseHandlerId: ['Sagsbehandleren skal være bruger i bevillingens kommune. Vælg en fra listen.'],
  });
  const wrongRole = await create('Læser', viewer.user.id);
  t.equal(wrongRole.json().code, 'CASE_HANDLER_INVALID', 'a viewer cannot handle the case');
  t.match(wrongRole.json().message, /Sagsbehandleren skal være fra økonomi eller være koordinator/);
  t.equal((await create('Ingen', 999_999)).json().code, 'CASE_HANDLER_INVALID', 'nor a user who does not exist');

  const grant = created.json() as { id: number; version: number };
  const patch = (payload: Record<string, unknown>) =>
    finance.inject({ method: 'PATCH', url: `/api/v1/grants/${grant.id}`, payload });
  const moved = await patch({ version: 1, caseHandlerId: leaving.user.id });
  t.equal(moved.statusCode, 200, moved.body);
  const [audit] = await h.database.rows<{ before: { caseHandlerId: number }; after: { caseHandlerId: number } }>(
    sql`select before, after from audit_log where entity = 'grant' and entity_id = ${String(grant.id)}
        and action = 'update'`,
  );
  t.equal(audit?.before.caseHandlerId, coordinator.user.id, 'the change is audited: before');
  t.equal(audit?.after.caseHandlerId, leaving.user.id, 'and after');

  t.equal((await h.postForm(`/admin/users/${leaving.user.id}/deactivate`, { confirm: 'yes' })).statusCode, 303);
  const kept = await patch({ version: 2, caseHandlerId: leaving.user.id, title: 'Nattevagt om vinteren' });
  t.equal(kept.statusCode, 200, 'a deactivated case handler sent unchanged is no change');
  const page = await get(finance, `/grants/${grant.id}`);
  t.match(page.body, /Sagsbehandler<\/dt><dd>[^<]+ \(deaktiveret\)<\/dd>/, 'the page says the case handler left');
  const form = await get(finance, `/grants/${grant.id}/edit`);
  t.match(form.body, new RegExp(`<option value="${leaving.user.id}" selected>[^<]+\\(deaktiveret\\)</option>`));
  t.match(form.body, new RegExp(`<option value="${coordinator.user.id}">`), 'active coordinators are offered');
  t.match(form.body, new RegExp(`<option value="${finance.user.id}">`), 'and finance users');
  t.notMatch(form.body, new RegExp(`<option value="${viewer.user.id}">`), 'viewers are not');
  t.notMatch(form.body, new RegExp(`<option value="${aarhus.user.id}">`), 'nor another municipality’s users');
  const sameForm = await finance.postForm(`/grants/${grant.id}`, {
    version: '3',
    title: 'Nattevagt om vinteren',
    requested: '1.000',
    reportDueOn: '2027-06-01',
    caseHandlerId: String(leaving.user.id),
  });
  t.equal(sameForm.statusCode, 303, 'the edit form keeps a deactivated case handler while other fields change');
  const other = await h.as('coordinator', 101);
  t.equal((await h.postForm(`/admin/users/${other.user.id}/deactivate`, { confirm: 'yes' })).statusCode, 303);
  const refused = await patch({ version: 4, caseHandlerId: other.user.id });
  t.equal(refused.statusCode, 400, 'choosing a deactivated user is refused');
  t.equal(refused.json().code, 'CASE_HANDLER_INVALID');
  t.same(refused.json().fieldErrors, {
    caseHandlerId: ['Brugeren er deaktiveret og kan ikke være sagsbehandler. Vælg en aktiv bruger.'],
  });

  // Through the flow to closed: the case handler can change until then.
  const award = await finance.inject({
    method: 'POST',
    url: `/api/v1/grants/${grant.id}/transitions`,
    payload: { to: 'approved', version: 4, awardedOre: 100_000, targetGroupId: groups[0]?.id },
  });
  t.equal(award.statusCode, 200, award.body);
  let version = award.json().version as number;
  const step = async (payload: Record<string, unknown>, transition?: string) => {
    const res = transition
      ? await finance.inject({
          method: 'POST',
          url: `/api/v1/grants/${grant.id}/transitions`,
          payload: { to: transition, version },
        })
      : await patch({ ...payload, version });
    t.equal(res.statusCode, 200, res.body);
    version = res.json().version;
  };
  await step({ caseHandlerId: finance.user.id, payments: [{ paidOn: '2026-04-01', amountOre: 100_000 }] });
  await step({}, 'paid');
  await step({ caseHandlerId: coordinator.user.id, reportReceivedOn: '2026-05-01' });
  await step({}, 'accounted');
  await step({ caseHandlerId: finance.user.id });
  await step({}, 'closed');
  const locked = await patch({ version, caseHandlerId: coordinator.user.id });
  t.equal(locked.statusCode, 409, 'a closed grant keeps its case handler');
  t.equal(locked.json().code, 'GRANT_FIELD_LOCKED');
  t.equal((await get(finance, `/api/v1/grants/${grant.id}`)).json().caseHandlerId, finance.user.id);
  t.notMatch((await get(finance, `/grants/${grant.id}/edit`)).body, /name="caseHandlerId"/, 'nor offers it');
});

t.test('the case handler on the application form and the edit form', async (t) => {
  const { h, finance, actor, round } = await setup(t);
  const coordinator = await h.as('coordinator', 101);
  const aarhus = await h.as('finance', 751);

  const blank = await get(finance, '/grants/new');
  t.match(blank.body, /<label class="form-label" for="field-caseHandlerId">Sagsbehandler<\/label>/);
  t.match(blank.body, new RegExp(`<option value="${coordinator.user.id}">[^<]+\\(Frivillighedskoordinator\\)`));
  const application = { roundId: String(round.id), actorId: String(actor.id), title: 'Varmestue', requested: '1.000' };
  const refused = await finance.postForm('/grants/new', { ...application, caseHandlerId: String(aarhus.user.id) });
  t.equal(refused.statusCode, 422);
  t.match(refused.body, /Sagsbehandleren skal være bruger i bevillingens kommune/);
  t.match(refused.body, /href="#field-caseHandlerId"/, 'the error summary leads to the field');
  const created = await finance.postForm('/grants/new', { ...application, caseHandlerId: String(coordinator.user.id) });
  t.equal(created.statusCode, 303, created.body);
  const url = String(created.headers.location);
  const shown = await get(finance, url);
  t.match(shown.body, /Sagsbehandler<\/dt><dd>[^<(]+<\/dd>/, 'the grant page names the case handler');

  const form = await get(finance, `${url}/edit`);
  t.match(form.body, new RegExp(`<option value="${coordinator.user.id}" selected>`));
  const edit = { version: '1', title: 'Varmestue', requested: '1.000', reportDueOn: '2027-06-01' };
  const foreign = await finance.postForm(url, { ...edit, caseHandlerId: String(aarhus.user.id) });
  t.equal(foreign.statusCode, 422);
  t.match(foreign.body, /Sagsbehandleren skal være bruger i bevillingens kommune/);
  t.match(foreign.body, /aria-invalid="true"/);
  const cleared = await finance.postForm(url, { ...edit, caseHandlerId: '' });
  t.equal(cleared.statusCode, 303, cleared.body);
  const api = (await get(finance, `/api/v1${url}`)).json();
  t.equal(api.caseHandlerId, null, 'choosing none clears it');
  t.match((await get(finance, url)).body, /Sagsbehandler<\/dt><dd>Ingen<\/dd>/);
});

t.test('an id beyond a PostgreSQL integer is refused at its field, on the form and in the API', async (t) => {
  const { finance, actor, round } = await setup(t);
  const beyond = '3000000000';
  // The form was drawn again with the chosen actor's overdue grants, read with the id as it came.
  const application = { roundId: String(round.id), actorId: beyond, title: 'Varmestue', requested: '1.000' };
  const refused = await finance.postForm('/grants/new', application);
  t.equal(refused.statusCode, 422, 'the form is shown again');
  t.match(refused.body, /href="#field-actorId"/, 'the error summary leads to the actor');
  const api = await finance.inject({
    method: 'POST',
    url: '/api/v1/grants',
    payload: { roundId: Number(beyond), actorId: actor.id, title: 'Varmestue', requestedOre: 100_000 },
  });
  t.equal(api.statusCode, 400, api.body);
  t.same(Object.keys(api.json().fieldErrors ?? {}), ['roundId'], 'the field is named');
});
