import t, { type Test } from 'tap';
import { addDays, danishDate } from '../../../src/lib/dates.ts';
import { actorInput, validCvr } from '../../factories.ts';
import { buildTestApp, type Client } from '../../helper.ts';

/**
 * Issue 21, the public pages: every municipality's § 18 rounds for anyone without signing in, a
 * round with its description, target groups and criteria, and a decided round's distribution list
 * with organisations only. Planned rounds without a window, and grants not awarded, are not shown.
 */

const CONTACT = 'tilgaengelighed@kommune.example.dk';

async function setup(t: Test) {
  const h = await buildTestApp(t, { env: { ACCESSIBILITY_CONTACT: CONTACT } });
  const finance = await h.as('finance', 101);
  const aarhus = await h.as('finance', 751);
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
  }[];
  const stof = groups.find((g) => g.nameDa === 'Stofmisbrug')?.id ?? 0;
  const today = danishDate();

  const round = async (who: Client, body: Record<string, unknown>, moves: string[] = []) => {
    const res = await who.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, budgetOre: 50_000_000, ...body },
    });
    t.equal(res.statusCode, 201, res.body);
    let r = res.json() as { id: number; version: number };
    for (const status of moves) {
      const moved = await who.inject({
        method: 'PATCH',
        url: `/api/v1/grant-rounds/${r.id}`,
        payload: { status, version: r.version },
      });
      t.equal(moved.statusCode, 200, moved.body);
      r = moved.json();
    }
    return r;
  };
  const open = await round(
    finance,
    {
      name: 'Åben pulje',
      description: 'Støtte til fællesskaber for udsatte voksne.',
      applicationsOpenOn: addDays(today, -5),
      applicationsCloseOn: addDays(today, 20),
      decisionOn: addDays(today, 40),
      targetGroupIds: [stof],
      criteria: [
        { title: 'Når ud til de mest udsatte', description: 'Hvem møder I, og hvordan?' },
        { title: 'Frivillige bærer arbejdet' },
      ],
    },
    ['open'],
  );
  const hidden = await round(finance, { name: 'Idé uden vindue' });
  const upcoming = await round(finance, {
    name: 'Kommende pulje',
    applicationsOpenOn: addDays(today, 30),
    applicationsCloseOn: addDays(today, 60),
  });
  const decided = await round(finance, { name: 'Afgjort pulje', applicationsOpenOn: addDays(today, -90) });
  const foreign = await round(aarhus, { name: 'Aarhus-puljen', applicationsOpenOn: addDays(today, -3) }, ['open']);

  // The decided round: one approved grant to an association with a contact person, one rejected,
  // one withdrawn, one paid to an informal group.
  const actor = async (name: string, seed: number, extra: Record<string, unknown> = {}) => {
    const res = await h.inject({
      method: 'POST',
      url: '/api/v1/actors',
      payload: actorInput({
        name,
        cvr: validCvr(seed),
        email: 'kontor@gadensstemme.example.dk',
        phone: '+45 70 70 70 70',
        contacts: [{ name: 'Kontaktperson Birthe Hemmelig', email: 'birthe@example.dk', phone: '+45 11 22 33 44' }],
        ...extra,
      }),
    });
    t.equal(res.statusCode, 201, res.body);
    return res.json() as { id: number };
  };
  const awarded = await actor('Foreningen Gadens Stemme', 1000);
  const rejected = await actor('Afvist Forening', 2000);
  const withdrawn = await actor('Trukket Tilbage Forening', 3000);
  const group = await actor('Nabogruppen på Nørrebro', 0, { cvr: undefined, orgType: 'informal_group' });
  const grant = async (actorId: number, title: string, to?: string) => {
    const res = await finance.inject({
      method: 'POST',
      url: '/api/v1/grants',
      payload: { roundId: decided.id, actorId, title, purpose: `Formålet med ${title}`, requestedOre: 2_000_000 },
    });
    t.equal(res.statusCode, 201, res.body);
    const g = res.json() as { id: number; version: number };
    if (!to) return g;
    const body = to === 'approved' ? { awardedOre: 1_500_000, targetGroupId: stof } : {};
    const moved = await finance.inject({
      method: 'POST',
      url: `/api/v1/grants/${g.id}/transitions`,
      payload: { to, version: g.version, ...body },
    });
    t.equal(moved.statusCode, 200, moved.body);
    return moved.json() as { id: number; version: number };
  };
  await grant(awarded.id, 'Gadeteam om natten', 'approved');
  await grant(rejected.id, 'Afvist projekt', 'rejected');
  await grant(withdrawn.id, 'Tilbagetrukket projekt', 'withdrawn');
  await grant(group.id, 'Ansøgt projekt');
  await grant(group.id, 'Fællesspisning', 'approved');
  let d = (await finance.inject({ method: 'GET', url: `/api/v1/grant-rounds/${decided.id}` })).json();
  for (const status of ['open', 'closed', 'decided']) {
    d = (
      await finance.inject({
        method: 'PATCH',
        url: `/api/v1/grant-rounds/${decided.id}`,
        payload: { status, version: d.version },
      })
    ).json();
  }
  t.equal(d.status, 'decided');
  return { h, finance, open, hidden, upcoming, decided, foreign, stof };
}

t.test('the public pages answer without a session, with the security headers and no user', async (t) => {
  const { h, finance, open, hidden, upcoming, decided, foreign } = await setup(t);
  const get = (url: string, headers: Record<string, string> = {}) => h.anonymous({ method: 'GET', url, headers });

  const index = await get('/public');
  t.equal(index.statusCode, 200);
  t.match(index.headers['content-security-policy'], /default-src 'self'/, 'the security headers are set');
  t.match(index.body, /href="\/public\/municipalities\/101\/rounds"/, 'København is listed');
  t.match(index.body, /href="\/public\/municipalities\/751\/rounds"/, 'and Aarhus');
  t.notMatch(index.body, /href="\/public\/municipalities\/147\/rounds"/, 'a municipality without rounds is not');
  t.notMatch(index.body, /id="main-menu"/, 'no staff menu');

  const list = await get('/public/municipalities/101/rounds');
  t.equal(list.statusCode, 200);
  for (const r of [open, upcoming, decided]) t.match(list.body, `href="/public/rounds/${r.id}"`);
  t.notMatch(list.body, 'Idé uden vindue', 'a planned round without a window is not shown');
  t.notMatch(list.body, 'Aarhus-puljen', 'another municipality’s round is not on this one’s page');
  t.match(list.body, /<h2 id="phase-open">Åbne for ansøgninger<\/h2>[\s\S]*Åben pulje[\s\S]*phase-upcoming/);
  t.match(list.body, /<h2 id="phase-upcoming">Kommende puljer<\/h2>[\s\S]*Kommende pulje/);
  t.match(list.body, /<h2 id="phase-decided">Afgjorte puljer<\/h2>[\s\S]*Afgjort pulje/);
  t.match(list.body, '500.000,00 kr.', 'the budget');

  const aarhus = await get('/public/municipalities/751/rounds');
  t.match(aarhus.body, 'Aarhus-puljen');
  t.notMatch(aarhus.body, 'Åben pulje', 'København’s rounds are not on Aarhus’s page');
  t.equal((await get('/public/municipalities/100/rounds')).statusCode, 404, 'no such municipality');
  t.equal((await get('/public/municipalities/abc/rounds')).statusCode, 404);

  const page = await get(`/public/rounds/${open.id}`);
  t.equal(page.statusCode, 200);
  t.match(page.body, 'Støtte til fællesskaber for udsatte voksne.');
  t.match(page.body, /<li>Stofmisbrug<\/li>/, 'the prioritised target group');
  t.match(
    page.body,
    /<ol>[\s\S]*Når ud til de mest udsatte[\s\S]*Hvem møder I, og hvordan\?[\s\S]*Frivillige bærer arbejdet/,
  );
  t.match(page.body, `<a class="button button-primary" href="/public/rounds/${open.id}/apply">Søg om støtte</a>`);
  t.notMatch(page.body, /id="distribution"/, 'no distribution list before the decision');

  const later = await get(`/public/rounds/${upcoming.id}`);
  t.equal(later.statusCode, 200);
  t.notMatch(later.body, '/apply', 'no way to apply before the window opens');
  t.equal((await get(`/public/rounds/${hidden.id}`)).statusCode, 404, 'a planned round without a window');
  t.equal((await get(`/public/rounds/${foreign.id}`)).statusCode, 200, 'every municipality’s rounds are public');

  const done = await get(`/public/rounds/${decided.id}`);
  t.equal(done.statusCode, 200);
  t.notMatch(done.body, '/apply');
  t.match(done.body, /<th scope="row">Foreningen Gadens Stemme<\/th>\s*<td>Gadeteam om natten/);
  t.match(
    done.body,
    /<th scope="row">Nabogruppen på Nørrebro<\/th>\s*<td>Fællesspisning/,
    'an informal group by its name',
  );
  t.match(done.body, '15.000,00 kr.');
  t.match(done.body, '2 bevillinger, i alt 30.000,00 kr.');
  for (const absent of ['Afvist', 'Tilbagetrukket', 'Trukket Tilbage', 'Ansøgt projekt'])
    t.notMatch(done.body, absent, `${absent}: not awarded, not listed`);
  for (const contact of ['Birthe', 'Hemmelig', 'birthe@example.dk', '11 22 33 44', 'kontor@', '70 70 70 70', 'Mette'])
    t.notMatch(done.body, contact, `no contact data (${contact})`);

  // A signed-in user sees the same pages with nothing of theirs, before and after anyone else.
  const viewer = await h.as('viewer', 101);
  for (const url of ['/public', '/public/municipalities/101/rounds', `/public/rounds/${decided.id}`]) {
    const mine = await viewer.inject({ method: 'GET', url });
    const theirs = await finance.inject({ method: 'GET', url });
    const nobody = await get(url);
    for (const res of [mine, theirs, nobody]) {
      t.equal(res.statusCode, 200, url);
      t.notMatch(res.body, /Test (viewer|finance) 101/, `${url}: no user’s name`);
      t.notMatch(res.body, viewer.csrf, `${url}: no user’s token`);
      t.notMatch(res.body, finance.csrf, `${url}: no user’s token`);
      t.notMatch(res.body, 'action="/logout"', `${url}: no sign-out form`);
    }
  }
  // A signed-in user's own page still has their name: the layouts differ, not the session.
  t.match((await finance.inject({ method: 'GET', url: '/grant-rounds' })).body, 'Test finance 101');

  const english = await get(`/public/rounds/${open.id}`, { cookie: 'lang=en' });
  t.match(english.body, 'Apply for support');
  t.match(english.body, '<html lang="en">');
  t.match((await get(`/public/rounds/${open.id}`)).body, 'Søg om støtte', 'Danish again for a Danish reader');
});

t.test('the accessibility statement: public, linked from every page’s footer', async (t) => {
  const { h, finance } = await setup(t);
  const page = await h.anonymous({ method: 'GET', url: '/accessibility' });
  t.equal(page.statusCode, 200);
  t.match(page.body, '<h1>Tilgængelighedserklæring</h1>');
  t.match(page.body, 'WCAG 2.1');
  t.match(page.body, `href="mailto:${CONTACT}"`, 'the contact address from the configuration');
  t.match(page.body, 'href="https://www.was.digst.dk/"', 'the complaint route');
  t.match(page.body, /udarbejdet \d{2}\.\d{2}\.\d{4}/, 'its date');
  for (const res of [
    page,
    await h.anonymous({ method: 'GET', url: '/public' }),
    await finance.inject({ method: 'GET', url: '/' }),
  ])
    t.match(res.body, '<a href="/accessibility">Tilgængelighedserklæring</a>', 'the footer links to it');
  const login = await h.anonymous({ method: 'GET', url: '/login' });
  t.match(login.body, 'href="/accessibility"', 'the sign-in page too');
});

t.test('the public API: no key, paged, planned rounds and awards not given left out', async (t) => {
  const { h, open, hidden, upcoming, decided, foreign, stof } = await setup(t);
  const api = (url: string, headers: Record<string, string> = {}) => h.anonymous({ method: 'GET', url, headers });

  const all = await api('/api/v1/public/rounds');
  t.equal(all.statusCode, 200, all.body);
  t.equal(all.json().total, 4, 'three of København’s and one of Aarhus’s');
  const own = (await api('/api/v1/public/rounds?municipalityCode=101')).json();
  t.equal(own.total, 3);
  t.same(own.items.map((r: { id: number }) => r.id).sort(), [open.id, upcoming.id, decided.id].sort());
  t.notOk(
    own.items.some((r: { id: number }) => r.id === hidden.id),
    'the planned round without a window is hidden',
  );
  const aarhus = (await api('/api/v1/public/rounds?municipalityCode=751')).json();
  t.same(
    aarhus.items.map((r: { id: number; municipalityName: string }) => [r.id, r.municipalityName]),
    [[foreign.id, 'Aarhus']],
  );
  const first = (await api('/api/v1/public/rounds?municipalityCode=101&limit=2&offset=0')).json();
  const second = (await api('/api/v1/public/rounds?municipalityCode=101&limit=2&offset=2')).json();
  t.equal(first.items.length, 2);
  t.equal(second.items.length, 1);
  t.equal(second.total, 3);
  t.equal((await api('/api/v1/public/rounds?limit=0')).statusCode, 400);
  t.equal((await api('/api/v1/public/rounds?municipalityCode=x')).statusCode, 400);
  t.equal(
    (await api('/api/v1/public/rounds', { authorization: 'Bearer not-a-real-token-at-all' })).statusCode,
    200,
    'a wrong key does not matter: none is needed',
  );

  const one = (await api(`/api/v1/public/rounds/${open.id}`)).json();
  t.equal(one.phase, 'open');
  t.equal(one.openForApplications, true);
  t.same(
    one.targetGroups.map((g: { id: number }) => g.id),
    [stof],
  );
  t.same(
    one.criteria.map((c: { position: number; title: string }) => [c.position, c.title]),
    [
      [1, 'Når ud til de mest udsatte'],
      [2, 'Frivillige bærer arbejdet'],
    ],
  );
  t.equal(one.distribution, null);
  t.equal((await api(`/api/v1/public/rounds/${upcoming.id}`)).json().openForApplications, false);
  t.equal((await api(`/api/v1/public/rounds/${hidden.id}`)).statusCode, 404);
  t.equal((await api('/api/v1/public/rounds/0')).statusCode, 400);

  const done = await api(`/api/v1/public/rounds/${decided.id}`);
  t.equal(done.json().phase, 'decided');
  t.same(
    done
      .json()
      .distribution.map((g: { organisation: string; title: string; awardedOre: number }) => [
        g.organisation,
        g.title,
        g.awardedOre,
      ]),
    [
      ['Foreningen Gadens Stemme', 'Gadeteam om natten', 1_500_000],
      ['Nabogruppen på Nørrebro', 'Fællesspisning', 1_500_000],
    ],
  );
  t.same(
    done.json().distribution[0].targetGroups.map((g: { id: number }) => g.id),
    [stof],
  );
  for (const contact of ['Birthe', 'birthe@', 'kontor@', '11 22 33 44', '70 70 70 70', 'Mette'])
    t.notMatch(done.body, contact, `no contact data (${contact})`);
  t.equal(done.headers['cache-control'], 'no-store');
});
