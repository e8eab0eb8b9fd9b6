import t from 'tap';
import { buildTestApp } from '../../helper.ts';

/** The need-estimate grid and the proportionality report count need by one rule: the report's. */
t.test('needByGroup rolls need up the tree as the proportionality report does', async (t) => {
  const h = await buildTestApp(t);
  const reports = h.app.services.reports;
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
    parentId: number | null;
  }[];
  const group = (name: string) => groups.find((g) => g.nameDa === name)?.id as number;
  const heavy = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/target-groups',
      payload: { nameDa: 'Meget belastede stofmisbrugere', parentId: group('Stofmisbrug'), municipalityCode: 101 },
    })
  ).json().id as number;
  const aarhus = await h.as('admin', 751);
  const put = (municipalityCode: number, body: { targetGroupId: number; people: number }[]) =>
    (municipalityCode === 751 ? aarhus : h).inject({
      method: 'PUT',
      url: `/api/v1/need-estimates?municipalityCode=${municipalityCode}&year=2026`,
      payload: body,
    });
  const sameAsReport = async (why: string) => {
    const [need, report] = await Promise.all([
      reports.needByGroup(101, 2026),
      reports.proportionality({
        scope: { kind: 'municipality', code: 101 },
        yearFrom: 2026,
        yearTo: 2026,
        threshold: 0.5,
      }),
    ]);
    t.equal(need.total, report.totalNeedPeople, `${why}: the same total as the report`);
    t.same(
      report.rows
        .filter((r) => r.needPeople > 0)
        .map((r) => [r.targetGroupId, r.needPeople])
        .sort((a, b) => (a[0] as number) - (b[0] as number)),
      [...need.rolled].filter(([, people]) => people > 0).sort((a, b) => (a[0] as number) - (b[0] as number)),
      `${why}: the same need per group as the report`,
    );
    return need;
  };

  t.equal((await put(751, [{ targetGroupId: group('Hjemløshed'), people: 9999 }])).statusCode, 200);
  t.equal(
    (
      await put(101, [
        { targetGroupId: heavy, people: 30 },
        { targetGroupId: group('Hjemløshed'), people: 400 },
      ])
    ).statusCode,
    200,
  );
  let need = await sameAsReport('children only');
  t.equal(need.rolled.get(heavy), 30);
  t.equal(need.rolled.get(group('Stofmisbrug')), 30, 'a group without its own estimate sums its sub-groups');
  t.equal(need.total, 430, 'another municipality’s estimates do not count');

  await put(101, [
    { targetGroupId: heavy, people: 30 },
    { targetGroupId: group('Stofmisbrug'), people: 100 },
    { targetGroupId: group('Hjemløshed'), people: 400 },
  ]);
  need = await sameAsReport('a parent’s own estimate');
  t.equal(need.rolled.get(group('Stofmisbrug')), 100, 'a group’s own estimate wins over its sub-groups’ sum');
  t.equal(need.rolled.get(heavy), 30);
  t.equal(need.total, 500, 'each person counted once');
  const top = groups.find((g) => g.id === group('Stofmisbrug'))?.parentId as number;
  const below = groups.filter((g) => g.parentId === top).reduce((sum, g) => sum + (need.rolled.get(g.id) ?? 0), 0);
  t.equal(need.rolled.get(top), below, 'and on up the tree');
});
