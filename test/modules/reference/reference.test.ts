import t from 'tap';
import { buildTestApp, writesHeard } from '../../helper.ts';

t.test('municipalities and the FFB target-group tree', async (t) => {
  const { inject } = await buildTestApp(t);

  const res = await inject({ method: 'GET', url: '/api/v1/municipalities' });
  t.equal(res.statusCode, 200);
  const municipalities = res.json().items as { code: number; name: string; regionCode: number; regionName: string }[];
  t.equal(municipalities.length, 98, 'all 98 municipalities');
  t.same(
    municipalities.find((m) => m.code === 101),
    { code: 101, name: 'København', regionCode: 1084, regionName: 'Region Hovedstaden' },
    'codes are integers',
  );
  t.equal(new Set(municipalities.map((m) => m.regionCode)).size, 5, 'five regions');

  const groups = (await inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    ffbCode: string | null;
    nameDa: string;
    nameEn: string | null;
    parentId: number | null;
    municipalityCode: number | null;
  }[];
  t.equal(groups.length, 57, 'the 57 FFB concepts');
  t.ok(groups.every((g) => g.ffbCode && g.municipalityCode === null && g.nameEn));
  const roots = groups
    .filter((g) => g.parentId === null)
    .map((g) => g.nameDa)
    .sort();
  t.same(roots, ['Funktionsnedsættelse', 'Socialt problem']);
  const ids = new Set(groups.map((g) => g.id));
  t.ok(
    groups.every((g) => g.parentId === null || ids.has(g.parentId)),
    'every parent is in the tree',
  );
});

t.test('a municipality adds a local target group under an FFB group', async (t) => {
  const { inject, postForm, as } = await buildTestApp(t);
  const groups = (await inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
  }[];
  const stofmisbrug = groups.find((g) => g.nameDa === 'Stofmisbrug');
  t.ok(stofmisbrug, 'FFB has "Stofmisbrug"');
  if (!stofmisbrug) return;

  const created = await inject({
    method: 'POST',
    url: '/api/v1/target-groups',
    payload: {
      nameDa: 'Meget belastede stofmisbrugere',
      nameEn: 'Heavy drug users',
      parentId: stofmisbrug.id,
      municipalityCode: 101,
    },
  });
  t.equal(created.statusCode, 201);
  const local = created.json();
  t.match(local, {
    nameDa: 'Meget belastede stofmisbrugere',
    parentId: stofmisbrug.id,
    municipalityCode: 101,
    ffbCode: null,
  });

  const again = await inject({
    method: 'POST',
    url: '/api/v1/target-groups',
    payload: { nameDa: 'meget belastede stofmisbrugere', parentId: stofmisbrug.id, municipalityCode: 101 },
  });
  t.equal(again.statusCode, 409, 'the same name twice under one group is refused');
  t.equal(again.json().code, 'DUPLICATE_TARGET_GROUP');

  const sub = await inject({
    method: 'POST',
    url: '/api/v1/target-groups',
    payload: { nameDa: 'Unge under 25', parentId: local.id, municipalityCode: 101 },
  });
  t.equal(sub.statusCode, 201, 'a local group under a local group');

  const intoAarhus = await inject({
    method: 'POST',
    url: '/api/v1/target-groups',
    payload: { nameDa: 'Andet', parentId: stofmisbrug.id, municipalityCode: 751 },
  });
  t.equal(intoAarhus.statusCode, 403, 'no group for another municipality');
  const aarhus = await as('coordinator', 751);
  const foreign = await aarhus.inject({
    method: 'POST',
    url: '/api/v1/target-groups',
    payload: { nameDa: 'Andet', parentId: local.id },
  });
  t.equal(foreign.statusCode, 400, 'not under another municipality’s local group');
  const aarhusOwn = await aarhus.inject({
    method: 'POST',
    url: '/api/v1/target-groups',
    payload: { nameDa: 'Hjemløse stofbrugere', parentId: stofmisbrug.id },
  });
  t.equal(aarhusOwn.statusCode, 201, 'the municipality is the user’s own');
  t.equal(aarhusOwn.json().municipalityCode, 751);

  const unknown = await inject({
    method: 'POST',
    url: '/api/v1/target-groups',
    payload: { nameDa: 'X', parentId: 999999, municipalityCode: 101 },
  });
  t.equal(unknown.statusCode, 400);
  t.same(Object.keys(unknown.json().fieldErrors), ['parentId']);

  const listed = (await inject({ method: 'GET', url: '/api/v1/target-groups?municipalityCode=147' })).json()
    .items as unknown[];
  t.equal(listed.length, 57, 'another municipality sees only FFB groups');
  const own = (await inject({ method: 'GET', url: '/api/v1/target-groups?municipalityCode=101' })).json()
    .items as unknown[];
  t.equal(own.length, 59);

  const form = await postForm('/target-groups', { parentId: String(stofmisbrug.id), nameDa: 'Gadesovere' });
  t.equal(form.statusCode, 303, 'the HTML form adds one too');
  const empty = await postForm('/target-groups', { parentId: '', nameDa: '' });
  t.equal(empty.statusCode, 422);
  t.match(empty.body, /Feltet skal udfyldes/);
  const page = await inject({ method: 'GET', url: '/target-groups' });
  t.match(page.body, /Gadesovere/);
});

t.test('names by id: made once for every page that shows them, and anew after a write', async (t) => {
  const { app, inject, database } = await buildTestApp(t);
  const { targetGroups, municipalities } = app.services;
  // On PostgreSQL the set-up's writes (the sign-in) are heard a moment later, and empty the caches.
  await writesHeard(database);
  const da = await targetGroups.names('da');
  t.equal(await targetGroups.names('da'), da, 'one object for every page until a group is written');
  const stofmisbrug = Number(Object.entries(da).find(([, name]) => name === 'Stofmisbrug')?.[0]);
  t.equal((await targetGroups.names('en'))[stofmisbrug], 'Drug misuse', 'in English where the group has a name in it');
  const names = await municipalities.names();
  t.equal(names[101], 'København');
  t.equal(Object.keys(names).length, 98);
  t.equal(await municipalities.names(), names, 'the municipalities’ names are made once too');
  t.equal((await municipalities.byCode()).get(751)?.name, 'Aarhus');

  const created = await inject({
    method: 'POST',
    url: '/api/v1/target-groups',
    payload: { nameDa: 'Gadesovere', parentId: stofmisbrug, municipalityCode: 101 },
  });
  t.equal(created.statusCode, 201);
  await writesHeard(database);
  const after = await targetGroups.names('en');
  t.equal(after[created.json().id], 'Gadesovere', 'a group added is named at once, in Danish where it has no English');
  t.not(await targetGroups.names('da'), da);
});
