import { type SQL, sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { da } from '../../src/i18n/da.ts';
import { actorInput } from '../factories.ts';
import { buildTestApp, type Client, type TestApp } from '../helper.ts';

/**
 * Destructive and final actions ask first (issue 19, point 1): their POST without confirm=yes
 * writes nothing and answers a page that says what will happen, with a "Ja, …" button that posts
 * the same fields with confirm=yes and a "Fortryd" link back. Who may not act is refused (403)
 * before anything is asked. An ended agreement can be reopened, its open action items carried
 * over or closed as the user chooses.
 */

/** The confirmation page's parts: its question, its yes button, the fields it posts again, its way back. */
function confirmation(body: string) {
  const form = /<form method="post" action="([^"]+)" class="samspil-confirm">([\s\S]*?)<\/form>/.exec(body);
  const fields = Object.fromEntries(
    [...(form?.[2] ?? '').matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]),
  );
  delete fields._csrf;
  return {
    action: form?.[1],
    question: /<h1>([^<]*)<\/h1>/.exec(body)?.[1]?.trim(),
    yes: /<button class="button button-primary" type="submit">([^<]*)<\/button>/.exec(form?.[2] ?? '')?.[1],
    back: /<a class="button button-secondary" href="([^"]+)">Fortryd<\/a>/.exec(form?.[2] ?? '')?.[1],
    fields,
  };
}

async function setup(t: Test) {
  const h = await buildTestApp(t);
  const actor = (
    await h.inject({ method: 'POST', url: '/api/v1/actors?allowSimilar=true', payload: actorInput() })
  ).json() as { id: number; name: string; contacts: { id: number; name: string }[] };
  return { h, actor };
}

const one = async (h: TestApp, query: SQL) => (await h.database.rows<Record<string, unknown>>(query))[0];

/** Asks, checks that nothing was written and what the page offers, then says yes. */
async function askThenConfirm(
  t: Test,
  client: Client,
  url: string,
  form: Record<string, string>,
  expect: { question: string; yes: string; back: string },
  written: () => Promise<boolean>,
) {
  const asked = await client.postForm(url, form);
  t.equal(asked.statusCode, 200, `${url}: the first POST answers the question`);
  const c = confirmation(asked.body);
  t.equal(c.question, expect.question, 'which asks what is about to happen');
  t.equal(c.yes, expect.yes, 'with a "Ja, …" button');
  t.equal(c.back, expect.back, 'and "Fortryd" back where the user came from');
  t.equal(c.action, url, 'the yes posts to the same action');
  t.same(c.fields, { ...form, confirm: 'yes' }, 'with the same fields and confirm=yes');
  t.ok(asked.body.includes(da['confirm.whatHappens']), 'the consequences are stated');
  t.notOk(await written(), 'nothing is written before the yes');
  const done = await client.postForm(url, c.fields as Record<string, string>);
  t.equal(done.statusCode, 303, 'the yes does it');
  t.ok(await written(), 'and it is written');
}

t.test('each destructive or final action asks first, and the yes does it', async (t) => {
  const { h, actor } = await setup(t);
  const contact = actor.contacts[0] as { id: number; name: string };

  await askThenConfirm(
    t,
    h,
    `/actors/${actor.id}/contacts/${contact.id}/erase`,
    { mode: 'delete' },
    {
      question: `Slet kontaktpersonen ${contact.name}?`,
      yes: 'Ja, slet kontaktpersonen',
      back: `/actors/${actor.id}#h-contacts`,
    },
    async () => !(await one(h, sql`select id from actor_contacts where id = ${contact.id}`)),
  );

  await askThenConfirm(
    t,
    h,
    `/actors/${actor.id}/archive`,
    { version: '2' },
    { question: `Arkivér aktøren ${actor.name}?`, yes: 'Ja, arkivér aktøren', back: `/actors/${actor.id}` },
    async () => !!(await one(h, sql`select id from actors where id = ${actor.id} and status = 'archived'`)),
  );

  const actor2 = (
    await h.inject({ method: 'POST', url: '/api/v1/actors?allowSimilar=true', payload: actorInput({ name: 'Klub 2' }) })
  ).json().id as number;
  const round = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: 'Pulje', budgetOre: 1e7 },
    })
  ).json().id as number;
  const grant = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/grants',
      payload: { roundId: round, actorId: actor2, title: 'Caféaftener', requestedOre: 100_000 },
    })
  ).json().id as number;
  await askThenConfirm(
    t,
    h,
    `/grants/${grant}/transition`,
    { version: '1', to: 'rejected' },
    { question: 'Afvis ansøgningen »Caféaftener«?', yes: 'Ja, afvis ansøgningen', back: `/grants/${grant}` },
    async () => !!(await one(h, sql`select id from grants where id = ${grant} and status = 'rejected'`)),
  );

  // Opening a round is no final step: not asked. Closing and deciding are.
  t.equal((await h.postForm(`/grant-rounds/${round}/advance`, { version: '1' })).statusCode, 303, 'opened at once');
  await askThenConfirm(
    t,
    h,
    `/grant-rounds/${round}/advance`,
    { version: '2' },
    { question: 'Luk puljen »Pulje« for ansøgninger?', yes: 'Ja, luk for ansøgninger', back: `/grant-rounds/${round}` },
    async () => !!(await one(h, sql`select id from grant_rounds where id = ${round} and status = 'closed'`)),
  );
  await askThenConfirm(
    t,
    h,
    `/grant-rounds/${round}/advance`,
    { version: '3' },
    {
      question: 'Markér puljen »Pulje« som afgjort?',
      yes: 'Ja, markér puljen som afgjort',
      back: `/grant-rounds/${round}`,
    },
    async () => !!(await one(h, sql`select id from grant_rounds where id = ${round} and status = 'decided'`)),
  );

  const agreement = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/agreements',
      payload: { title: 'Samarbejde', kind: 'formal', actorIds: [actor2], startsOn: '2026-01-01', status: 'active' },
    })
  ).json().id as number;
  await askThenConfirm(
    t,
    h,
    `/agreements/${agreement}/status`,
    { version: '1', to: 'ended' },
    { question: 'Afslut aftalen »Samarbejde«?', yes: 'Ja, afslut aftalen', back: `/agreements/${agreement}` },
    async () => !!(await one(h, sql`select id from agreements where id = ${agreement} and status = 'ended'`)),
  );

  const viewer = await h.as('viewer');
  await askThenConfirm(
    t,
    h,
    `/admin/users/${viewer.user.id}/deactivate`,
    {},
    { question: 'Deaktivér brugeren Test viewer 101?', yes: 'Ja, deaktivér brugeren', back: '/admin/users' },
    async () => !!(await one(h, sql`select id from users where id = ${viewer.user.id} and not active`)),
  );

  const key = await h.app.services.accounts.createApiToken(
    { userId: h.user.id, municipalityCode: 101, role: 'admin' },
    h.user.id,
    'Regnskabsrobot',
  );
  await askThenConfirm(
    t,
    h,
    `/account/tokens/${key.id}/revoke`,
    {},
    { question: 'Tilbagekald API-nøglen »Regnskabsrobot«?', yes: 'Ja, tilbagekald nøglen', back: '/account' },
    async () => !!(await one(h, sql`select id from api_tokens where id = ${key.id} and revoked_at is not null`)),
  );

  t.equal((await h.postForm('/account/calendar', {})).statusCode, 201, 'a calendar address');
  await askThenConfirm(
    t,
    h,
    '/account/calendar/revoke',
    {},
    { question: 'Tilbagekald kalenderadressen?', yes: 'Ja, tilbagekald adressen', back: '/account/calendar' },
    async () => !(await one(h, sql`select user_id from calendar_feeds where user_id = ${h.user.id}`)),
  );
});

t.test('who may not act is refused before anything is asked', async (t) => {
  const { h, actor } = await setup(t);
  const contact = actor.contacts[0] as { id: number };
  const viewer = await h.as('viewer');
  const foreign = await h.as('coordinator', 751);
  for (const [who, client] of [
    ['a viewer', viewer],
    ['a coordinator of another municipality', foreign],
  ] as const) {
    for (const [url, form] of [
      [`/actors/${actor.id}/contacts/${contact.id}/erase`, { mode: 'delete' }],
      [`/actors/${actor.id}/archive`, { version: '1' }],
    ] as const) {
      const res = await client.postForm(url, form);
      t.equal(res.statusCode, 403, `${who}: ${url} is 403, not a question`);
      t.notOk(res.body.includes('samspil-confirm'), 'with no confirmation form');
    }
  }
  t.ok(await one(h, sql`select id from actor_contacts where id = ${contact.id}`), 'the contact is still there');
});

t.test('an ended agreement is reopened by its municipality, its open items carried over or closed', async (t) => {
  const { h, actor } = await setup(t);
  const agreement = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/agreements',
      payload: { title: 'Værestedet', kind: 'formal', actorIds: [actor.id], startsOn: '2026-01-01', status: 'active' },
    })
  ).json().id as number;
  const meeting = await h.inject({
    method: 'POST',
    url: `/api/v1/agreements/${agreement}/meetings`,
    payload: { heldOn: '2026-02-01', actionItems: [{ text: 'Ny folder' }, { text: 'Flere frivillige' }] },
  });
  t.equal(meeting.statusCode, 201);
  const version = async () =>
    String((await h.inject({ method: 'GET', url: `/api/v1/agreements/${agreement}` })).json().version);
  const openItems = async () =>
    Number(
      (
        await one(
          h,
          sql`select count(*)::int as n from action_items where agreement_id = ${agreement} and done_at is null`,
        )
      )?.n,
    );
  const page = async () => (await h.inject({ method: 'GET', url: `/agreements/${agreement}` })).body;
  const end = async () =>
    h.postForm(`/agreements/${agreement}/status`, { version: await version(), to: 'ended', confirm: 'yes' });

  let asked = await h.postForm(`/agreements/${agreement}/status`, { version: await version(), to: 'ended' });
  t.ok(asked.body.includes('Aftalens 2 åbne handlepunkter forbliver åbne.'), 'ending says the open items stay open');
  t.notOk(
    (await page()).includes(`action="/agreements/${agreement}/reopen"`),
    'an active agreement offers no reopening',
  );
  t.equal((await end()).statusCode, 303, 'ended');
  t.equal(await openItems(), 2, 'its items left open');
  t.ok((await page()).includes(`action="/agreements/${agreement}/reopen"`), 'an ended agreement offers reopening');

  // Who may not: a viewer, another municipality's coordinator. Refused before the question.
  for (const client of [await h.as('viewer'), await h.as('coordinator', 751)]) {
    const res = await client.postForm(`/agreements/${agreement}/reopen`, { version: await version() });
    t.equal(res.statusCode, 403, `${client.user.role} of ${client.user.municipalityCode}: 403`);
    const yes = await client.postForm(`/agreements/${agreement}/reopen`, { version: await version(), confirm: 'yes' });
    t.equal(yes.statusCode, 403, 'also when saying yes');
  }

  asked = await h.postForm(`/agreements/${agreement}/reopen`, { version: await version() });
  t.equal(asked.statusCode, 200, 'reopening asks first');
  let c = confirmation(asked.body);
  t.equal(c.question, 'Genåbn aftalen »Værestedet«?');
  t.equal(c.yes, 'Ja, genåbn aftalen');
  t.ok(asked.body.includes('Aftalen har 2 åbne handlepunkter.'), 'it says how many items are open');
  t.match(
    asked.body,
    /type="radio" id="choice-keep" name="openItems" value="keep" checked/,
    'carry over is the default',
  );
  t.match(asked.body, /type="radio" id="choice-close" name="openItems" value="close"/, 'closing them is offered');
  t.equal(await openItems(), 2);
  t.ok(
    await one(h, sql`select id from agreements where id = ${agreement} and status = 'ended'`),
    'nothing written yet',
  );

  const stale = await h.postForm(`/agreements/${agreement}/reopen`, {
    version: '1',
    confirm: 'yes',
    openItems: 'keep',
  });
  t.equal(stale.statusCode, 409, 'a stale version is refused');

  const kept = await h.postForm(`/agreements/${agreement}/reopen`, { ...c.fields, openItems: 'keep' } as Record<
    string,
    string
  >);
  t.equal(kept.statusCode, 303, 'reopened, items carried over');
  t.ok(await one(h, sql`select id from agreements where id = ${agreement} and status = 'active'`), 'active again');
  t.equal(await openItems(), 2, 'its items still open');
  const again = await h.postForm(`/agreements/${agreement}/reopen`, { version: await version(), confirm: 'yes' });
  t.equal(again.statusCode, 409, 'an active agreement cannot be reopened');

  t.equal((await end()).statusCode, 303, 'ended again');
  asked = await h.postForm(`/agreements/${agreement}/reopen`, { version: await version() });
  c = confirmation(asked.body);
  const closed = await h.postForm(`/agreements/${agreement}/reopen`, { ...c.fields, openItems: 'close' } as Record<
    string,
    string
  >);
  t.equal(closed.statusCode, 303, 'reopened, items closed');
  t.equal(await openItems(), 0, 'its items are done');
  const doneBy = await h.database.rows<{ done_by_user_id: number }>(
    sql`select done_by_user_id from action_items where agreement_id = ${agreement}`,
  );
  t.same(
    doneBy.map((r) => r.done_by_user_id),
    [h.user.id, h.user.id],
    'by the user who reopened',
  );
  const trail = await h.database.rows<{ entity: string; action: string; n: number }>(
    sql`select entity, action, count(*)::int as n from audit_log
        where (entity = 'agreement' and entity_id = ${String(agreement)}) or (entity = 'action_item' and action = 'complete')
        group by entity, action order by entity, action`,
  );
  t.same(
    trail.filter((r) => r.action === 'reopen' || r.action === 'complete'),
    [
      { entity: 'action_item', action: 'complete', n: 2 },
      { entity: 'agreement', action: 'reopen', n: 2 },
    ],
    'each reopening and each item closed is in the audit trail',
  );

  // With no open items, nothing to choose.
  t.equal((await end()).statusCode, 303);
  asked = await h.postForm(`/agreements/${agreement}/reopen`, { version: await version() });
  t.ok(asked.body.includes(da['agreement.reopen.noItems']), 'no open items: said so');
  t.notOk(asked.body.includes('name="openItems"'), 'and no choice to make');
});

t.test('the grant service says which steps are possible now', async (t) => {
  const { h, actor } = await setup(t);
  const grants = h.app.services.grants;
  const round = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: 'Pulje', budgetOre: 1e7 },
    })
  ).json().id as number;
  const id = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/grants',
      payload: { roundId: round, actorId: actor.id, title: 'Caféaftener', requestedOre: 100_000 },
    })
  ).json().id as number;
  const steps = async () => grants.offeredSteps(await grants.getGrant(id), await grants.getRound(round));
  t.same(await steps(), {
    canAward: true,
    markAs: undefined,
    markBlockedBy: undefined,
    decline: ['rejected', 'withdrawn'],
  });
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as { id: number }[];
  const approved = await h.inject({
    method: 'POST',
    url: `/api/v1/grants/${id}/transitions`,
    payload: { to: 'approved', version: 1, awardedOre: 100_000, targetGroupId: groups[0]?.id },
  });
  t.equal(approved.statusCode, 200);
  t.same(
    await steps(),
    { canAward: false, markAs: undefined, markBlockedBy: 'grant.transition.notPaid', decline: [] },
    'awarded, not paid: "Markér som udbetalt" is not offered, and why not',
  );
  const body = (await h.inject({ method: 'GET', url: `/grants/${id}` })).body;
  t.notOk(body.includes('name="to" value="paid"'), 'nor shown');
  t.notOk(body.includes('name="to" value="rejected"'), 'an awarded grant cannot be rejected: no button');
});
