import { asc, Column, eq, sql } from 'drizzle-orm';
import t from 'tap';
import { type Queryable, rows } from '../../../src/db/client.ts';
import { builtOnce, builtOnceEach, sqlOnce, sqlOnceEach } from '../../../src/db/prepared.ts';
import { actors, auditLog, grantRounds, municipalities, users } from '../../../src/db/schema/index.ts';
import { onPostgres, openTestDatabase } from '../../helper.ts';

/** What src/db/prepared.ts promises, on the driver in use. */

/** A municipality and its users: a left join (no user gives `user: null`), a nested object and a date. */
const shape = (db: Queryable, code: number | ReturnType<typeof sql.placeholder>) =>
  db
    .select({
      code: municipalities.code,
      name: municipalities.name,
      user: { id: users.id, email: users.email, createdAt: users.createdAt },
    })
    .from(municipalities)
    .leftJoin(users, eq(users.municipalityCode, municipalities.code))
    .where(eq(municipalities.code, code))
    .orderBy(asc(users.id));

type Row = Awaited<ReturnType<typeof shape>>[number];

t.test('a statement is built once, and runs on each handle with its values, rows as the builder gives', async (t) => {
  const database = await openTestDatabase(t);
  const { db } = database;
  let builds = 0;
  const ofMunicipality = builtOnce<{ code: number }, Row[]>('test_of_municipality', (on) => {
    builds++;
    return shape(on, sql.placeholder('code'));
  });

  t.strictSame(
    await db.select({ id: users.id }).from(users).where(eq(users.municipalityCode, 751)),
    [],
    'Aarhus has no users here (its left join gives null)',
  );
  const copenhagen = await ofMunicipality(db, { code: 101 });
  t.strictSame(copenhagen, await shape(db, 101), 'on the database: as the builder reads it');
  t.match(copenhagen, [{ code: 101, name: 'København', user: null }], 'no user: the joined object is null');
  t.strictSame(await ofMunicipality(db, { code: 751 }), await shape(db, 751), 'other values, the same statement');

  // In a transaction, it runs on the transaction's connection: it sees what the transaction wrote.
  const rolledBack = new Error('rolled back');
  await t.rejects(
    db.transaction(async (tx) => {
      await tx.insert(users).values({
        email: 'built-once@example.dk',
        name: 'Bygget Én Gang',
        role: 'viewer',
        municipalityCode: 101,
        passwordHash: 'x',
      });
      const seen = await ofMunicipality(tx, { code: 101 });
      t.strictSame(seen, await shape(tx, 101), 'in the transaction: as the builder reads it there');
      t.match(seen, [{ code: 101, user: { email: 'built-once@example.dk', createdAt: Date } }], 'the user written');
      t.strictSame(
        await ofMunicipality(tx, { code: 751 }),
        await shape(tx, 751),
        'no user there: null, as on the database',
      );
      throw rolledBack;
    }),
    rolledBack,
  );
  t.strictSame(await ofMunicipality(db, { code: 101 }), copenhagen, 'after the rollback, on the database again');
  t.equal(builds, 1, 'its SQL was built once, for the database and the transaction alike');
});

t.test('a missing value is refused, not sent as null', async (t) => {
  const database = await openTestDatabase(t);
  const byCode = builtOnce<{ code: number }, { name: string }[]>('test_by_code', (on) =>
    on
      .select({ name: municipalities.name })
      .from(municipalities)
      .where(eq(municipalities.code, sql.placeholder('code'))),
  );
  await t.rejects(byCode(database.db, {} as { code: number }), /No value for placeholder "code"/);
  t.strictSame(await byCode(database.db, { code: 101 }), [{ name: 'København' }]);
});

t.test('a statement of several shapes builds each shape once', async (t) => {
  const { db } = await openTestDatabase(t);
  const built: string[] = [];
  const firstCodes = (on: Queryable, region?: number | ReturnType<typeof sql.placeholder>) =>
    on
      .select({ code: municipalities.code })
      .from(municipalities)
      .where(region === undefined ? undefined : eq(municipalities.regionCode, region))
      .orderBy(asc(municipalities.code))
      .limit(3);
  const codes = builtOnceEach<'' | 'r', { region?: number }, { code: number }[]>('test_codes', (on, shape) => {
    built.push(shape);
    return firstCodes(on, shape === 'r' ? sql.placeholder('region') : undefined);
  });
  t.strictSame(await codes(db, '', {}), await firstCodes(db), 'no filter');
  t.strictSame(await codes(db, 'r', { region: 1081 }), await firstCodes(db, 1081), 'one region');
  t.strictSame(await codes(db, 'r', { region: 1084 }), await firstCodes(db, 1084), 'another region');
  t.strictSame(await codes(db, '', {}), await firstCodes(db), 'no filter again');
  t.strictSame(built, ['', 'r'], 'each shape built once');
});

t.test('an insert built once writes and returns its row on each handle', async (t) => {
  const { db } = await openTestDatabase(t);
  let builds = 0;
  const addUser = builtOnce<{ email: string; name: string }, { id: number; email: string; role: string }[]>(
    'test_add_user',
    (on) => {
      builds++;
      return on
        .insert(users)
        .values({
          email: sql.placeholder('email'),
          name: sql.placeholder('name'),
          role: 'viewer',
          municipalityCode: 101,
          passwordHash: 'x',
        })
        .returning({ id: users.id, email: users.email, role: users.role });
    },
  );
  const rolledBack = new Error('rolled back');
  for (const email of ['first@example.dk', 'second@example.dk']) {
    // Each in a transaction of its own: the second runs the first's statement on another handle.
    await t.rejects(
      db.transaction(async (tx) => {
        const [row] = await addUser(tx, { email, name: 'Indsat Én Gang' });
        t.match(row, { id: Number, email, role: 'viewer' }, `${email}: its row returned`);
        const [found] = await tx
          .select({ email: users.email })
          .from(users)
          .where(eq(users.id, row?.id ?? 0));
        t.equal(found?.email, email, `${email}: written in the transaction`);
        throw rolledBack;
      }),
      rolledBack,
    );
  }
  t.equal(builds, 1, 'built once');
});

t.test('a raw statement built once gives the rows rows() gives, on each handle, each shape built once', async (t) => {
  const { db } = await openTestDatabase(t);
  const built: string[] = [];
  // A date as text, an int, a boolean, JSON, and a null: the types the two drivers must give alike.
  const text = (region: unknown, limit: unknown, named: boolean) => sql`
    select m.code, m.name, m.region_code = ${region} as "inRegion", now()::date::text as today,
      (select json_agg(x) from (select m.code as code, ${named ? sql`m.name` : sql`null::text`} as name) x) as parts
    from municipalities m where m.region_code = ${region} order by m.code limit ${limit}`;
  const raw = sqlOnceEach<'named' | 'bare', { region: number; limit: number }, Record<string, unknown>>(
    'test_raw',
    (shape) => {
      built.push(shape);
      return text(sql.placeholder('region'), sql.placeholder('limit'), shape === 'named');
    },
  );
  const first = await raw(db, 'named', { region: 1084, limit: 3 });
  t.strictSame(first, await rows(db, text(1084, 3, true)), 'as rows() reads the statement built for the call');
  t.match(first, [
    { code: 101, name: 'København', inRegion: true, today: /^\d{4}-\d\d-\d\d$/, parts: [{ code: 101 }] },
  ]);
  t.equal(first.length, 3);
  t.strictSame(
    await raw(db, 'bare', { region: 1081, limit: 2 }),
    await rows(db, text(1081, 2, false)),
    'another shape',
  );
  const rolledBack = new Error('rolled back');
  await t.rejects(
    db.transaction(async (tx) => {
      await tx.execute(sql`update municipalities set name = 'Kbh.' where code = 101`);
      const seen = await raw(tx, 'named', { region: 1084, limit: 1 });
      t.match(seen, [{ name: 'Kbh.', parts: [{ name: 'Kbh.' }] }], 'in a transaction, on its connection');
      throw rolledBack;
    }),
    rolledBack,
  );
  t.strictSame(built, ['named', 'bare'], 'each shape built once, for the database and the transaction alike');
  const single = sqlOnce<{ code: number }, { name: string }>(
    'test_raw_one',
    () => sql`select name from municipalities where code = ${sql.placeholder('code')}`,
  );
  t.strictSame(await single(db, { code: 751 }), [{ name: 'Aarhus' }]);
  await t.rejects(single(db, {} as { code: number }), /No value for placeholder "code"/, 'a missing value refused');
});

t.test('a flat select reads its rows as the builder does, with no class check for each row', async (t) => {
  const database = await openTestDatabase(t);
  const { db } = database;
  await db.insert(actors).values([
    {
      name: 'Foreningen Ét',
      orgType: 'association',
      roles: ['advocate', 'inclusion_arena'],
      homeMunicipalityCode: 101,
    },
    {
      name: 'Fonden To',
      orgType: 'foundation',
      roles: ['service_provider'],
      underServiceAct: true,
      description: 'Værested',
      homeMunicipalityCode: 751,
    },
  ]);
  // Columns of many kinds (an enum array, a timestamp, a null), raw SQL with and without a decoder,
  // and a subquery's aliased fields, as the actor search selects them.
  const page = (on: Queryable) => {
    const ranked = on
      .select({ id: actors.id, total: sql<number>`count(*) over ()`.as('total') })
      .from(actors)
      .where(sql`${actors.name} like ${sql.placeholder('like')}`)
      .as('ranked');
    return on
      .select({
        id: actors.id,
        name: actors.name,
        roles: actors.roles,
        underServiceAct: actors.underServiceAct,
        description: actors.description,
        home: actors.homeMunicipalityCode,
        createdAt: actors.createdAt,
        total: ranked.total,
        doubled: sql<number>`${actors.id} * 2`.mapWith(Number),
        raw: sql<string>`${actors.id}::text || '-' || ${actors.status}`,
      })
      .from(ranked)
      .innerJoin(actors, eq(actors.id, ranked.id))
      .orderBy(asc(actors.id));
  };
  const read = builtOnce<{ like: string }, Record<string, unknown>[]>('test_flat_rows', (on) => page(on));
  const asBuilt = await read(db, { like: '%' });
  const builder = await page(db).execute({ like: '%' });
  t.strictSame(asBuilt, builder, 'the same rows as drizzle reads them, value for value');
  t.match(asBuilt, [
    { name: 'Foreningen Ét', roles: ['advocate', 'inclusion_arena'], underServiceAct: null, total: 2, createdAt: Date },
    { name: 'Fonden To', underServiceAct: true, description: 'Værested', home: 751 },
  ]);
  t.same(Object.keys(asBuilt[0] ?? {}), Object.keys(builder[0] ?? {}), 'the keys in the same order');

  // Columns whose values drizzle decodes by a type of Samspil's own: øre (bigint), JSON, dates.
  await db
    .insert(grantRounds)
    .values({ municipalityCode: 101, year: 2026, name: 'Puljen', budgetOre: 123_456_789, decisionOn: '2026-03-01' });
  await db
    .insert(auditLog)
    .values({ entity: 'test', entityId: '1', action: 'create', after: { name: 'Ét', n: [1, 2] } });
  const decoded = (on: Queryable) =>
    on
      .select({ budget: grantRounds.budgetOre, decisionOn: grantRounds.decisionOn, after: auditLog.after })
      .from(grantRounds)
      .innerJoin(auditLog, eq(auditLog.entity, sql.placeholder('entity')));
  const readDecoded = builtOnce<{ entity: string }, Record<string, unknown>[]>('test_flat_decoded', decoded);
  const decodedRows = await readDecoded(db, { entity: 'test' });
  t.strictSame(decodedRows, await decoded(db).execute({ entity: 'test' }), 'decoded as drizzle decodes them');
  t.match(decodedRows, [{ budget: 123_456_789, decisionOn: '2026-03-01', after: { name: 'Ét', n: [1, 2] } }]);

  // drizzle's own mapping asks, for each column of each row, whether it is a Column (`is`, an
  // instanceof first): the statement's mapper asked once, when it was made. Counted for Column
  // itself only; its subclasses' own checks answer as before.
  let asked = 0;
  Object.defineProperty(Column, Symbol.hasInstance, {
    configurable: true,
    value: function (this: unknown, value: unknown) {
      if (this === Column) asked++;
      return Function.prototype[Symbol.hasInstance].call(this, value);
    },
  });
  t.teardown(() => {
    delete (Column as unknown as Record<symbol, unknown>)[Symbol.hasInstance];
  });
  t.strictSame(await read(db, { like: '%' }), builder, 'read again: the same rows');
  t.equal(asked, 0, 'no class check while reading the rows');
  // drizzle's own mapping, its SQL built beforehand: only its reading of the rows is counted.
  const prepared = page(db).prepare('test_flat_rows_drizzle');
  asked = 0;
  t.strictSame(await prepared.execute({ like: '%' }), builder);
  t.ok(asked >= 2 * 7, `drizzle's own mapping checks the columns of each row (${asked})`);
});

t.test(
  "postgres.js's own answer lets go of its rows once they are read into a list of their own",
  { skip: !onPostgres && 'postgres.js only: PGlite keeps no statement object after answering' },
  async (t) => {
    // postgres.js keeps each answer as the value of its statement object, which V8's young
    // collector keeps alive for a while: rows left in it were promoted to the old generation.
    const database = await openTestDatabase(t);
    const client = database.sql as unknown as { unsafe: (...a: unknown[]) => PromiseLike<unknown> };
    const unsafe = client.unsafe;
    const answers: PromiseLike<unknown>[] = [];
    client.unsafe = (...a: unknown[]) => {
      const answer = unsafe(...a);
      answers.push(answer);
      return answer;
    };
    t.teardown(() => {
      client.unsafe = unsafe;
    });
    const answerOfLast = async () => (await answers.at(-1)) as unknown[];

    const flat = builtOnce<{ region: number }, { code: number; name: string }[]>('test_flat_release', (on) =>
      on
        .select({ code: municipalities.code, name: municipalities.name })
        .from(municipalities)
        .where(eq(municipalities.regionCode, sql.placeholder('region')))
        .orderBy(asc(municipalities.code)),
    );
    const read = await flat(database.db, { region: 1084 });
    t.match(read, [{ code: 101, name: 'København' }], 'a flat select built once: its rows');
    t.equal((await answerOfLast()).length, 0, "and the driver's answer empty");

    const nested = builtOnce<{ code: number }, Row[]>('test_nested_release', (on) =>
      shape(on, sql.placeholder('code')),
    );
    t.strictSame(await nested(database.db, { code: 101 }), await shape(database.db, 101), 'a nested select: its rows');
    await nested(database.db, { code: 101 });
    t.equal((await answerOfLast()).length, 0, "and the driver's answer empty");

    const raw = sqlOnce<{ region: number }, { code: number }>(
      'test_raw_release',
      () => sql`select code from municipalities where region_code = ${sql.placeholder('region')} order by code`,
    );
    t.match(await raw(database.db, { region: 1084 }), [{ code: 101 }], 'a raw statement built once: its rows');
    t.equal((await answerOfLast()).length, 0, "and the driver's answer empty");

    t.match(
      await rows(database.db, sql`select code from municipalities where code = ${751}`),
      [{ code: 751 }],
      'rows(): its rows',
    );
    t.equal((await answerOfLast()).length, 0, "and the driver's answer empty");

    // A statement whose answer the caller keeps as it is (db.execute) is left alone.
    const kept = (await database.db.execute(sql`select code from municipalities where code = ${101}`)) as unknown[];
    await rows(database.db, sql`select 1 as one`);
    t.match(kept, [{ code: 101 }], 'db.execute: the answer itself, rows and all');
    t.equal(kept.length, 1, 'still whole after other statements were read');
  },
);
