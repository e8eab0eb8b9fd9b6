import t from 'tap';
import { actorInput, invalidCvr, validCvr } from '../../factories.ts';
import { buildTestApp, lastId, type TestApp } from '../../helper.ts';

async function create(h: TestApp, overrides: Record<string, unknown> = {}, query = '') {
  return h.inject({ method: 'POST', url: `/api/v1/actors${query}`, payload: { ...actorInput(), ...overrides } });
}

// One app for the tests that look only at the actors they make, each under names of its own. The
// tests of similar names, of search and of the filters have their own: what they find depends on
// every actor in the database.
const h = await buildTestApp(t);

t.test('registering an actor and reading it back', async (t) => {
  const cvr = validCvr(1);
  const trailBefore = await lastId(h.database, 'audit_log');
  const res = await create(h, {
    name: 'Kirkens Korshær',
    cvr: `DK ${cvr.slice(0, 4)} ${cvr.slice(4)}`,
    roles: ['service_provider', 'inclusion_arena'],
    underServiceAct: true,
    website: 'www.kirkenskorshaer.dk',
    description: 'Varmestuer og natcaféer for hjemløse og udsatte.',
  });
  t.equal(res.statusCode, 201, res.body);
  const actor = res.json();
  t.equal(res.headers.location, `/api/v1/actors/${actor.id}`);
  t.match(actor, {
    name: 'Kirkens Korshær',
    cvr,
    orgType: 'association',
    roles: ['service_provider', 'inclusion_arena'],
    underServiceAct: true,
    website: 'https://www.kirkenskorshaer.dk',
    homeMunicipalityCode: 101,
    municipalityCodes: [101, 147],
    status: 'active',
    version: 1,
  });
  t.equal(actor.contacts.length, 1);
  t.match(actor.contacts[0], { name: 'Mette Hansen', role: 'Formand', email: 'mette@example.dk', version: 1 });

  const got = await h.inject({ method: 'GET', url: `/api/v1/actors/${actor.id}` });
  t.equal(got.statusCode, 200);
  t.equal(got.headers.etag, '"1"');
  t.same(got.json(), { ...actor, contactsVisible: true });

  const audit = await h.database.rows<{ entity: string; action: string; after: unknown }>(
    (await import('drizzle-orm'))
      .sql`select entity, action, after from audit_log where entity like 'actor%' and id > ${trailBefore} order by id`,
  );
  t.same(
    audit.map((a) => `${a.entity}:${a.action}`),
    ['actor_contact:create', 'actor:create'],
    'the write is audited',
  );
  t.notMatch(JSON.stringify(audit), /Mette|mette@example/, 'the audit trail holds no contact personal data');
});

t.test('CVR: 8 digits, modulus-11, unique', async (t) => {
  const bad = await create(h, { cvr: invalidCvr(2) });
  t.equal(bad.statusCode, 400);
  t.match(bad.json(), {
    statusCode: 400,
    code: 'VALIDATION_FAILED',
    fieldErrors: { cvr: ['CVR-nummeret er ikke gyldigt. Tjek, at du har skrevet det rigtigt.'] },
  });
  t.notOk(bad.json().stack, 'no stack trace');

  const short = await create(h, { cvr: '1234567' });
  t.same(short.json().fieldErrors.cvr, ['CVR-nummeret skal være 8 cifre.']);

  const english = await h.inject({
    method: 'POST',
    url: '/api/v1/actors',
    headers: { 'accept-language': 'en-GB,en;q=0.9' },
    payload: { ...actorInput(), cvr: 'abcdefgh' },
  });
  t.same(english.json().fieldErrors.cvr, ['The CVR number must be 8 digits.'], 'messages follow the language');

  const cvr = validCvr(3);
  const first = await create(h, { cvr, name: 'Foreningen Trappen' });
  t.equal(first.statusCode, 201);
  const dup = await create(h, { cvr, name: 'Helt Andet Navn' });
  t.equal(dup.statusCode, 409);
  t.match(dup.json(), {
    code: 'DUPLICATE_CVR',
    fieldErrors: { cvr: ['Der er allerede en aktør med dette CVR-nummer.'] },
  });

  const other = await create(h, { cvr: validCvr(4), name: 'Tredje Forening' });
  const patched = await h.inject({
    method: 'PATCH',
    url: `/api/v1/actors/${other.json().id}`,
    payload: { cvr, version: 1 },
  });
  t.equal(patched.statusCode, 409, 'an edit to a CVR in use is refused too');
  t.equal(patched.json().code, 'DUPLICATE_CVR');
});

t.test('similar names warn before saving; folding knows æ/ae, ø/oe, å/aa', async (t) => {
  // Its own app: it needs a database with no other actors.
  const h = await buildTestApp(t);
  t.equal((await create(h, { name: 'Kirkens Korshær' })).statusCode, 201);
  const similar = await create(h, { name: 'Kirkens Korshaer' });
  t.equal(similar.statusCode, 409);
  t.equal(similar.json().code, 'SIMILAR_NAME');
  t.equal(similar.json().message, 'Der findes allerede aktører med et lignende navn.');
  const forced = await create(h, { name: 'Kirkens Korshaer' }, '?allowSimilar=true');
  t.equal(forced.statusCode, 201, 'registered when the user confirms');
  t.equal((await create(h, { name: 'Åbne Døre Aarhus' })).statusCode, 201);
  const aa = await create(h, { name: 'Aabne Doere Århus' });
  t.equal(aa.statusCode, 409, 'å/aa and ø/oe fold together');
  t.equal((await create(h, { name: 'Foreningen Fodbold for Alle' })).statusCode, 201, 'an unrelated name passes');
});

t.test('search: Danish full text combined with trigram matching', async (t) => {
  // Its own app: it needs a database with no other actors.
  const h = await buildTestApp(t);
  const korshaer = (await create(h, { name: 'Kirkens Korshær', description: 'Varmestuer og natcaféer.' })).json();
  await create(h, { name: 'Blå Kors Danmark', description: 'Behandling af alkoholmisbrug.' });
  await create(h, { name: 'Mændenes Hjem', description: 'Værested for hjemløse mænd.' });
  await create(h, { name: 'SIND Ungdom', description: 'Psykisk sårbare unge.' });

  const search = async (q: string) =>
    (await h.inject({ method: 'GET', url: `/api/v1/actors?q=${encodeURIComponent(q)}` })).json() as {
      items: { id: number; name: string }[];
      total: number;
    };

  const found = await search('Kirkens Korshaer');
  t.equal(found.items[0]?.id, korshaer.id, '"Kirkens Korshaer" finds "Kirkens Korshær" first');
  t.equal((await search('korshær')).items[0]?.name, 'Kirkens Korshær');
  t.equal((await search('korshar')).items[0]?.name, 'Kirkens Korshær', 'a typo still finds it (trigram)');
  t.same(
    (await search('natcafé')).items.map((i) => i.name),
    ['Kirkens Korshær'],
    'words from the description',
  );
  t.same(
    (await search('hjemløs')).items.map((i) => i.name),
    ['Mændenes Hjem'],
    'Danish stemming',
  );
  t.same(
    (await search('maendenes')).items.map((i) => i.name),
    ['Mændenes Hjem'],
  );
  t.equal((await search('zzzyyyxxx')).total, 0);
  t.equal((await search('100% _%')).total, 0, 'LIKE wildcards in the query are harmless');
});

t.test('search: names that only look alike count when the words find less than a page', async (t) => {
  await create(h, { name: 'Natvandrerne Vest', municipalityCodes: [147], contacts: [] });
  const search = async (q: string) =>
    (await h.inject({ method: 'GET', url: `/api/v1/actors?q=${encodeURIComponent(q)}&limit=25` })).json() as {
      items: { name: string }[];
      total: number;
    };
  // "natvandrer" is a word of the name: found directly. "natvandrrne" (a typo) only looks alike.
  t.same(
    (await search('natvandrrne')).items.map((i) => i.name),
    ['Natvandrerne Vest'],
    'a typo, when little else matches',
  );
  for (let i = 1; i <= 25; i++) {
    const res = await create(
      h,
      {
        name: `Natvandrrne ${String(i).padStart(2, '0')}`,
        municipalityCodes: [147],
        contacts: [],
      },
      '?allowSimilar=true',
    );
    t.equal(res.statusCode, 201);
  }
  const many = await search('natvandrrne');
  t.equal(many.total, 25, 'a page of names with the very words: the look-alike is left out');
  const small = (await h.inject({ method: 'GET', url: '/api/v1/actors?q=natvandrrne&limit=5&offset=20' })).json() as {
    items: unknown[];
    total: number;
  };
  t.match(small, { total: 25 }, 'the same whatever the page size');
  t.equal(small.items.length, 5);
  t.notOk(many.items.some((i) => i.name === 'Natvandrerne Vest'));
  const inMunicipality = (
    await h.inject({ method: 'GET', url: '/api/v1/actors?q=natvandrrne&municipalityCode=147&limit=25' })
  ).json() as { total: number };
  t.equal(inMunicipality.total, 26, "among one municipality's actors, look-alikes count too");
});

t.test('filters: role, target group with sub-groups, municipality, status; paging and sorting', async (t) => {
  // Its own app: it needs a database with no other actors.
  const h = await buildTestApp(t);
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
  }[];
  const misbrug = groups.find((g) => g.nameDa === 'Misbrug');
  const stofmisbrug = groups.find((g) => g.nameDa === 'Stofmisbrug');
  t.ok(misbrug && stofmisbrug);
  if (!misbrug || !stofmisbrug) return;
  const local = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/target-groups',
      payload: { nameDa: 'Meget belastede stofmisbrugere', parentId: stofmisbrug.id, municipalityCode: 101 },
    })
  ).json();

  const aarhus = await h.as('coordinator', 751);
  const aalborg = await h.as('coordinator', 851);
  const odense = await h.as('admin', 461);
  const createAs = (client: typeof aarhus, overrides: Record<string, unknown>) =>
    client.inject({ method: 'POST', url: '/api/v1/actors', payload: { ...actorInput(), ...overrides } });
  const a = (await create(h, { name: 'Alfa Væresteder', roles: ['advocate'], targetGroupIds: [local.id] })).json();
  const b = (
    await createAs(aarhus, {
      name: 'Beta Sociale Tilbud',
      roles: ['service_provider'],
      underServiceAct: false,
      homeMunicipalityCode: 751,
      municipalityCodes: [751],
      targetGroupIds: [stofmisbrug.id],
    })
  ).json();
  const c = (
    await createAs(aalborg, {
      name: 'Gamma Fællesskab',
      roles: ['inclusion_arena'],
      homeMunicipalityCode: 851,
      municipalityCodes: [851, 101],
    })
  ).json();
  const d = (
    await createAs(odense, {
      name: 'Delta Netværk',
      status: 'inactive',
      homeMunicipalityCode: 461,
      municipalityCodes: [],
    })
  ).json();
  await odense.inject({ method: 'POST', url: `/api/v1/actors/${d.id}/archive`, payload: { version: 1 } });

  const names = async (query: string) =>
    (
      (await h.inject({ method: 'GET', url: `/api/v1/actors?${query}` })).json() as { items: { name: string }[] }
    ).items.map((i) => i.name);
  t.same(
    await names(''),
    ['Alfa Væresteder', 'Beta Sociale Tilbud', 'Gamma Fællesskab'],
    'archived left out by default',
  );
  t.same(await names('status=archived'), ['Delta Netværk']);
  t.same(await names('status=all'), ['Alfa Væresteder', 'Beta Sociale Tilbud', 'Delta Netværk', 'Gamma Fællesskab']);
  t.same(await names('role=service_provider'), ['Beta Sociale Tilbud']);
  t.same(
    await names(`targetGroupId=${misbrug.id}`),
    ['Alfa Væresteder', 'Beta Sociale Tilbud'],
    'sub-groups and local groups included',
  );
  t.same(await names(`targetGroupId=${local.id}`), ['Alfa Væresteder']);
  t.same(await names('municipalityCode=101'), ['Alfa Væresteder', 'Gamma Fællesskab'], 'home or works in');
  t.same(await names('municipalityCode=751&role=service_provider'), ['Beta Sociale Tilbud']);
  t.same(await names('sort=-name'), ['Gamma Fællesskab', 'Beta Sociale Tilbud', 'Alfa Væresteder']);

  const page = (await h.inject({ method: 'GET', url: '/api/v1/actors?limit=2&offset=2' })).json();
  t.equal(page.total, 3);
  t.same(
    page.items.map((i: { id: number }) => i.id),
    [c.id],
  );
  t.notOk('contacts' in page.items[0], 'lists leave the contacts out');
  t.ok(a && b);

  const badQuery = await h.inject({ method: 'GET', url: '/api/v1/actors?limit=5000&role=king' });
  t.equal(badQuery.statusCode, 400);
  t.same(Object.keys(badQuery.json().fieldErrors).sort(), ['limit', 'role']);
});

t.test('versions: a stale edit gets 409 with the current values', async (t) => {
  const actor = (await create(h, { name: 'Gadeholdet' })).json();
  const url = `/api/v1/actors/${actor.id}`;

  const first = await h.inject({ method: 'PATCH', url, payload: { phone: '33 33 33 33', version: 1 } });
  t.equal(first.statusCode, 200);
  t.equal(first.json().version, 2);
  t.equal(first.json().name, actor.name, 'fields not sent are kept');
  t.equal(first.json().contacts.length, 1, 'contacts not sent are kept');

  const stale = await h.inject({ method: 'PATCH', url, payload: { phone: '44 44 44 44', version: 1 } });
  t.equal(stale.statusCode, 409);
  t.match(stale.json(), { code: 'STALE_VERSION', current: { id: actor.id, phone: '33 33 33 33', version: 2 } });

  const ifMatch = await h.inject({
    method: 'PATCH',
    url,
    headers: { 'if-match': 'W/"2"' },
    payload: { name: 'Gadens Stemme' },
  });
  t.equal(ifMatch.statusCode, 200, 'If-Match works as the version');
  t.equal(ifMatch.json().version, 3);
  const noVersion = await h.inject({ method: 'PATCH', url, payload: { name: 'X' } });
  t.equal(noVersion.statusCode, 400);
  t.ok(noVersion.json().fieldErrors.version);

  const rule = await h.inject({ method: 'PATCH', url, payload: { roles: ['service_provider'], version: 3 } });
  t.equal(rule.statusCode, 400, 'rules are checked on the merged actor');
  t.ok(rule.json().fieldErrors.underServiceAct);

  const archived = await h.inject({ method: 'POST', url: `${url}/archive`, payload: { version: 2 } });
  t.equal(archived.statusCode, 409, 'archiving with a stale version is refused');
  const ok = await h.inject({ method: 'POST', url: `${url}/archive` });
  t.equal(ok.statusCode, 200);
  t.equal(ok.json().status, 'archived');
});

t.test('contacts are kept, changed and removed by id', async (t) => {
  const actor = (
    await create(h, {
      name: 'Varmestuen Nørrebro',
      contacts: [
        { name: 'Anna Jensen', email: 'anna@example.dk' },
        { name: 'Bo Nielsen', phone: '20202020' },
      ],
    })
  ).json();
  const [anna, bo] = actor.contacts;
  const res = await h.inject({
    method: 'PATCH',
    url: `/api/v1/actors/${actor.id}`,
    payload: {
      version: 1,
      contacts: [
        { id: anna.id, name: 'Anna Jensen', email: 'anna.jensen@example.dk' },
        { name: 'Carl Holm', role: 'Koordinator' },
      ],
    },
  });
  t.equal(res.statusCode, 200, res.body);
  const contacts = res.json().contacts;
  t.same(
    contacts.map((c: { name: string }) => c.name),
    ['Anna Jensen', 'Carl Holm'],
  );
  t.equal(contacts[0].id, anna.id, 'kept by id');
  t.equal(contacts[0].version, 2, 'a changed contact gets a new version');
  t.notOk(
    contacts.some((c: { id: number }) => c.id === bo.id),
    'the one left out is deleted',
  );

  const foreign = await h.inject({
    method: 'PATCH',
    url: `/api/v1/actors/${actor.id}`,
    payload: { version: 2, contacts: [{ id: 999999, name: 'Ukendt' }] },
  });
  t.equal(foreign.statusCode, 400, 'a contact id of another actor is refused');
});

t.test('bad input: clear errors, never a stack trace', async (t) => {
  const empty = await h.inject({ method: 'POST', url: '/api/v1/actors', payload: {} });
  t.equal(empty.statusCode, 400);
  t.same(Object.keys(empty.json().fieldErrors).sort(), ['homeMunicipalityCode', 'name', 'orgType', 'roles']);
  t.equal(empty.json().fieldErrors.name[0], 'Feltet skal udfyldes.');

  const provider = await create(h, { roles: ['service_provider'] });
  t.same(provider.json().fieldErrors, {
    underServiceAct: ['Angiv, om leverandøren leverer ydelser efter serviceloven.'],
  });
  const unknownMunicipality = await create(h, { municipalityCodes: [101, 999] });
  t.equal(unknownMunicipality.statusCode, 400);
  t.ok(unknownMunicipality.json().fieldErrors.municipalityCodes);
  t.equal((await create(h, { homeMunicipalityCode: 999 })).statusCode, 403, 'a home municipality not your own');
  const unknownGroup = await create(h, { targetGroupIds: [987654] });
  t.ok(unknownGroup.json().fieldErrors.targetGroupIds);
  const email = await create(h, { email: 'ikke en mail' });
  t.ok(email.json().fieldErrors.email);

  const malformed = await h.inject({
    method: 'POST',
    url: '/api/v1/actors',
    headers: { 'content-type': 'application/json' },
    payload: '{"name": ',
  });
  t.equal(malformed.statusCode, 400);
  t.match(malformed.json(), { statusCode: 400, message: String });

  t.equal((await h.inject({ method: 'GET', url: '/api/v1/actors/999999' })).statusCode, 404);
  t.equal((await h.inject({ method: 'GET', url: '/api/v1/actors/abc' })).statusCode, 400);
  const missing = await h.inject({ method: 'PATCH', url: '/api/v1/actors/999999', payload: { version: 1 } });
  t.equal(missing.statusCode, 404);
  t.match(missing.json(), { statusCode: 404, code: 'NOT_FOUND' });
  const nowhere = await h.inject({ method: 'GET', url: '/api/v1/nowhere' });
  t.equal(nowhere.statusCode, 404);
  t.equal(nowhere.json().code, 'NOT_FOUND');
});
