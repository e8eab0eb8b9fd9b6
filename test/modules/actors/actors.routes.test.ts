import t from 'tap';
import { actorInput, invalidCvr, registeredActor, validCvr } from '../../factories.ts';
import { buildTestApp, readReferences } from '../../helper.ts';

const baseForm = {
  name: 'Foreningen Vendepunktet',
  orgType: 'association',
  roles: ['advocate', 'inclusion_arena'],
  homeMunicipalityCode: '101',
  municipalityCodes: ['101', '147'],
  status: 'active',
  'contacts[0][name]': 'Lise Holm',
  'contacts[0][email]': 'lise@example.dk',
};

// One app for the tests that look only at the actors they make. The list's test has its own: it
// counts every actor there is.
const h = await buildTestApp(t);
// A route that fails, for the error pages' test; routes can only be added before the app first answers.
h.app.get('/test-only/boom', async () => {
  throw new Error('secret internals');
});

t.test('the actor list: Danish, filters kept in the URL, an htmx partial', async (t) => {
  // Its own app: the list counts every actor in the database.
  const h = await buildTestApp(t);
  await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name: 'Kirkens Korshær' }) });
  await h.inject({
    method: 'POST',
    url: '/api/v1/actors',
    payload: actorInput({ name: 'Blå Kors', roles: ['inclusion_arena'] }),
  });

  const page = await h.inject({ method: 'GET', url: '/actors' });
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /text\/html/);
  t.match(page.body, /<html lang="da">/);
  t.match(page.body, /<h1>Aktører<\/h1>/);
  t.match(readReferences(page.body), /Viser 1–2 af 2 aktører/);
  t.match(page.body, /href="\/static\/vendor\/dkfds\/css\/dkfds\.min\.css"/, 'DKFDS from our own server');
  t.match(page.body, /src="\/static\/vendor\/htmx\/htmx\.min\.js"/);

  const filtered = await h.inject({ method: 'GET', url: '/actors?q=Korshaer&role=advocate' });
  t.match(filtered.body, /Kirkens Korshær/);
  t.notMatch(filtered.body, /Blå Kors</);
  t.match(filtered.body, /id="filter-q"[^>]*value="Korshaer"/, 'the search is kept in the form');
  t.match(filtered.body, /<option value="advocate" selected>/);

  const partial = await h.inject({
    method: 'GET',
    url: '/actors?q=Korshaer',
    headers: { 'hx-request': 'true', 'hx-target': 'actor-results' },
  });
  t.equal(partial.statusCode, 200);
  t.notMatch(partial.body, /<html/, 'htmx gets only the results');
  t.match(readReferences(partial.body), /Viser 1–1 af 1 aktør\b/);

  const sorted = await h.inject({ method: 'GET', url: '/actors?sort=-name' });
  t.ok(sorted.body.indexOf('Kirkens Korshær') < sorted.body.indexOf('Blå Kors<'), 'sorted by name, descending');
  t.match(sorted.body, /aria-sort="descending"/);

  const junk = await h.inject({ method: 'GET', url: '/actors?role=king&page=-4&targetGroupId=x&municipalityCode[]=1' });
  t.equal(junk.statusCode, 200, 'malformed filters are dropped, not fatal');

  const many = await Promise.all(
    Array.from({ length: 27 }, (_, i) =>
      h.inject({
        method: 'POST',
        url: '/api/v1/actors?allowSimilar=true',
        payload: actorInput({ name: `Netværk nummer ${i + 10}` }),
      }),
    ),
  );
  t.ok(many.every((r) => r.statusCode === 201));
  const first = await h.inject({ method: 'GET', url: '/actors' });
  t.match(first.body, /Side 1 af 2/);
  t.match(first.body, /href="\/actors\?page=2"[^>]*rel="next"/);
  const second = await h.inject({ method: 'GET', url: '/actors?page=2' });
  t.match(readReferences(second.body), /Viser 26–29 af 29 aktører/);
});

t.test('the create form: errors beside fields, values kept, duplicate CVR linked', async (t) => {
  const form = await h.inject({ method: 'GET', url: '/actors/new' });
  t.equal(form.statusCode, 200);
  t.match(form.body, /<label class="form-label" for="field-name">Navn/);
  t.match(form.body, /<option value="101" selected>København/, 'the home municipality defaults to the user’s');

  const bad = await h.postForm('/actors', { ...baseForm, cvr: invalidCvr(7), email: 'nope' });
  t.equal(bad.statusCode, 422);
  t.match(bad.body, /id="field-cvr-error"><span class="sr-only">Fejl: <\/span>CVR-nummeret er ikke gyldigt/);
  t.match(bad.body, /id="field-cvr"[^>]*aria-describedby="field-cvr-hint field-cvr-error"[^>]*aria-invalid="true"/);
  t.match(bad.body, /id="field-email-error"/);
  t.match(bad.body, /value="Foreningen Vendepunktet"/, 'what was typed is kept');
  t.match(bad.body, /Der er fejl i formularen/);
  t.match(bad.body, /<a href="#field-cvr">/, 'the summary links to the field');

  const empty = await h.postForm('/actors', { name: '' });
  t.equal(empty.statusCode, 422);
  t.match(empty.body, /Vælg mindst én rolle/);

  const cvr = validCvr(11);
  const ok = await h.postForm('/actors', { ...baseForm, cvr, website: 'vendepunktet.dk' });
  t.equal(ok.statusCode, 303);
  const location = String(ok.headers.location);
  t.match(location, /^\/actors\/\d+$/);
  const show = await h.inject({ method: 'GET', url: location });
  t.match(show.body, /<h1>Foreningen Vendepunktet/);
  t.match(show.body, /Fortaler, Inklusionsarena/);
  t.match(show.body, /København, Frederiksberg/);
  t.match(show.body, /Lise Holm/);
  t.match(show.body, /https:\/\/vendepunktet\.dk/);

  const dup = await h.postForm('/actors', { ...baseForm, name: 'Noget helt andet', cvr });
  t.equal(dup.statusCode, 422);
  t.match(dup.body, /Der er allerede en aktør med dette CVR-nummer/);
  t.match(
    dup.body,
    new RegExp(`CVR-nummeret er allerede registreret hos: <a href="${location}">Foreningen Vendepunktet</a>`),
  );

  const similar = await h.postForm('/actors', { ...baseForm, name: 'Foreningen Vendepunkt' });
  t.equal(similar.statusCode, 422, 'a similar name asks first');
  t.match(similar.body, /Findes aktøren allerede\?/);
  t.match(similar.body, /name="allowSimilar"/);
  const confirmed = await h.postForm('/actors', { ...baseForm, name: 'Foreningen Vendepunkt', allowSimilar: 'on' });
  t.equal(confirmed.statusCode, 303);

  const live = await h.inject({ method: 'GET', url: '/actors/similar?name=vendepunktet' });
  t.match(live.body, /Aktører med et lignende navn/);
  const none = await h.inject({ method: 'GET', url: '/actors/similar?name=zz' });
  t.equal(none.body.trim(), '');

  const more = await h.postForm('/actors', { ...baseForm, addContact: '1' });
  t.equal(more.statusCode, 200, 'adding a contact row works without JavaScript');
  t.match(more.body, /name="contacts\[1\]\[name\]"/);
});

t.test("a posted id is not written into the form's look-alike search as HTML", async (t) => {
  // The new-actor form echoes what was posted. An `id` field is no part of it, and the name field's
  // live search (hx-get) once took it as it came: markup, and characters beyond Latin-1 (route fuzz).
  for (const id of ['"><b id="injected">x</b>', '\u94c4\u{1bb2d}', '12"34', '-1']) {
    const res = await h.postForm('/actors', { ...baseForm, name: '', id });
    t.equal(res.statusCode, 422, `id ${JSON.stringify(id)}: the form again`);
    t.match(res.body, /hx-get="\/actors\/similar" hx-trigger=/, 'the look-alike search with no id of its own');
    t.notMatch(res.body, /id="injected"/, 'no markup from the posted id');
    t.notMatch(res.body, /[\u0100-\uffff]/, 'nothing beyond Latin-1');
  }
  const actor = await registeredActor(h, { name: 'Foreningen Egne Navn' });
  const edit = await h.inject({ method: 'GET', url: `/actors/${actor.id}/edit` });
  t.match(
    edit.body,
    new RegExp(`hx-get="/actors/similar\\?excludeId=${actor.id}"`),
    'editing: the actor itself left out of the look-alikes',
  );
});

t.test('editing: versions, conflicts and contacts', async (t) => {
  // A name no other test here uses, so the guard against similar names lets it through.
  const form = { ...baseForm, name: 'Foreningen Skråplanet' };
  const created = await h.postForm('/actors', form);
  const url = String(created.headers.location);
  const id = Number(url.split('/').pop());
  const edit = await h.inject({ method: 'GET', url: `${url}/edit` });
  t.equal(edit.statusCode, 200);
  t.match(edit.body, /name="version" value="1"/);
  const contactId = /name="contacts\[0\]\[id\]" value="(\d+)"/.exec(edit.body)?.[1];
  t.ok(contactId, 'the contact keeps its id in the form');

  const saved = await h.postForm(url, {
    ...form,
    version: '1',
    phone: '70 10 20 30',
    'contacts[0][id]': String(contactId),
    'contacts[1][name]': 'Jens Berg',
  });
  t.equal(saved.statusCode, 303);
  const after = (await h.inject({ method: 'GET', url: `/api/v1/actors/${id}` })).json();
  t.equal(after.version, 2);
  t.equal(after.phone, '70 10 20 30');
  t.same(
    after.contacts.map((c: { name: string }) => c.name),
    ['Lise Holm', 'Jens Berg'],
  );
  t.equal(after.contacts[0].id, Number(contactId));

  const stale = await h.postForm(url, { ...form, version: '1', name: 'Overskriver' });
  t.equal(stale.statusCode, 409);
  t.match(stale.body, /En anden har ændret aktøren imens/);
  t.match(stale.body, /name="version" value="2"/, 'the form can be saved again on purpose');
  t.match(stale.body, /<dd>70 10 20 30<\/dd>/, 'the current values are shown');
  t.equal(
    (await h.inject({ method: 'GET', url: `/api/v1/actors/${id}` })).json().name,
    'Foreningen Skråplanet',
    'nothing overwritten',
  );

  const removed = await h.postForm(url, {
    ...form,
    version: '2',
    'contacts[0][id]': String(contactId),
    'contacts[0][remove]': 'on',
  });
  t.equal(removed.statusCode, 303);
  t.equal((await h.inject({ method: 'GET', url: `/api/v1/actors/${id}` })).json().contacts.length, 0);

  const archive = await h.postForm(`${url}/archive`, { version: '3', confirm: 'yes' });
  t.equal(archive.statusCode, 303);
  const show = await h.inject({ method: 'GET', url });
  t.match(show.body, /Arkiveret/);
  t.notMatch(show.body, /Arkivér aktør/);
});

t.test('quick registration of an informal group', async (t) => {
  const page = await h.inject({ method: 'GET', url: '/actors/quick' });
  t.match(page.body, /Et navn og én kontaktperson er nok/);
  const missing = await h.postForm('/actors/quick', { name: 'Strikkecaféen' });
  t.equal(missing.statusCode, 422);
  t.match(missing.body, /id="field-contact-name-error"/);
  const ok = await h.postForm('/actors/quick', {
    name: 'Strikkecaféen',
    'contact[name]': 'Birthe Lund',
    'contact[phone]': '40 50 60 70',
  });
  t.equal(ok.statusCode, 303);
  const actor = (await h.inject({ method: 'GET', url: `/api/v1${ok.headers.location}` })).json();
  t.match(actor, {
    orgType: 'informal_group',
    cvr: null,
    homeMunicipalityCode: 101,
    municipalityCodes: [101],
    contacts: [{ name: 'Birthe Lund' }],
  });
});

t.test('error pages sit inside the layout; language switch', async (t) => {
  const notFound = await h.inject({ method: 'GET', url: '/actors/999999' });
  t.equal(notFound.statusCode, 404);
  t.match(notFound.body, /<html lang="da">[\s\S]*<h1>Siden findes ikke<\/h1>/);
  t.equal((await h.inject({ method: 'GET', url: '/actors/abc' })).statusCode, 404);
  t.equal((await h.inject({ method: 'GET', url: '/no/such/page' })).statusCode, 404);

  const boom = await h.inject({ method: 'GET', url: '/test-only/boom' });
  t.equal(boom.statusCode, 500);
  t.match(boom.body, /<h1>Der skete en fejl<\/h1>/);
  t.notMatch(boom.body, /secret internals|at .*\.ts/, 'no internals leak');

  const switchLang = await h.inject({ method: 'GET', url: '/language?to=en&back=/actors%3Fq%3Dx' });
  t.equal(switchLang.statusCode, 303);
  t.equal(switchLang.headers.location, '/actors?q=x');
  const cookie = String(switchLang.headers['set-cookie']);
  t.match(cookie, /lang=en/);
  t.match(cookie, /HttpOnly/);
  const english = await h.inject({ method: 'GET', url: '/actors', headers: { cookie: `${h.cookie}; lang=en` } });
  t.match(english.body, /<html lang="en">/);
  t.match(english.body, /<h1>Actors<\/h1>/);
  t.match(english.body, />(\u00a0)*Drug misuse<\/option>/, 'the target groups in English, through the view helper');
  t.match((await h.inject({ method: 'GET', url: '/actors' })).body, />(\u00a0)*Stofmisbrug<\/option>/, 'and in Danish');
  const englishError = await h.inject({ method: 'GET', url: '/nope', headers: { cookie: `${h.cookie}; lang=en` } });
  t.match(englishError.body, /<h1>Page not found<\/h1>/);

  const offsite = await h.inject({ method: 'GET', url: '/language?to=da&back=//evil.example' });
  t.equal(offsite.headers.location, '/', 'never redirects off the site');
});

t.test("an actor's page shows its newest grants, and says how many there are in all", async (t) => {
  const finance = await h.as('finance', 101);
  const actor = await registeredActor(h, { name: 'Foreningen Mange Bevillinger' });
  const round = async (year: number) =>
    (
      await finance.inject({
        method: 'POST',
        url: '/api/v1/grant-rounds',
        payload: { year, name: `Mange bevillinger ${year}`, budgetOre: 100_000_000 },
      })
    ).json() as { id: number };
  const grant = async (roundId: number, title: string) => {
    const res = await finance.inject({
      method: 'POST',
      url: '/api/v1/grants',
      payload: { roundId, actorId: actor.id, title, requestedOre: 10_000 },
    });
    t.equal(res.statusCode, 201, res.body);
  };
  const older = await round(2025);
  const newer = await round(2026);
  await grant(older.id, 'Ældre bevilling A');
  await grant(older.id, 'Ældre bevilling B');
  for (let i = 1; i <= 18; i++) await grant(newer.id, `Ny bevilling ${String(i).padStart(2, '0')}`);

  // 20 grants: all shown, the newest round's first, the last recorded first.
  let page = (await h.inject({ method: 'GET', url: `/actors/${actor.id}` })).body;
  let rows = [...page.matchAll(/<a href="\/grants\/\d+">([^<]+)<\/a>/g)].map((m) => m[1]);
  t.equal(rows.length, 20);
  t.equal(rows[0], 'Ny bevilling 18');
  t.equal(rows.at(-1), 'Ældre bevilling A');
  t.notMatch(page, /nyeste af aktørens/, 'no word of more when all are shown');

  for (const n of [19, 20, 21]) await grant(newer.id, `Ny bevilling ${n}`);
  page = (await h.inject({ method: 'GET', url: `/actors/${actor.id}` })).body;
  rows = [...page.matchAll(/<a href="\/grants\/\d+">([^<]+)<\/a>/g)].map((m) => m[1]);
  t.equal(rows.length, 20, 'the newest twenty');
  t.equal(rows[0], 'Ny bevilling 21', 'the one recorded last first');
  t.notOk(
    rows.some((r) => r?.startsWith('Ældre') || r === 'Ny bevilling 01'),
    'the oldest are left to the grant list',
  );
  t.match(page, /Her vises de 20 nyeste af aktørens 23 § 18-bevillinger\./);
  t.match(page, new RegExp(`<a href="/grants\\?actorId=${actor.id}">Se dem i bevillingslisten`), 'with the way to all');
  const all = await h.inject({ method: 'GET', url: `/grants?actorId=${actor.id}` });
  t.match(all.body, /Ældre bevilling A/, 'where every one of them is');
});
