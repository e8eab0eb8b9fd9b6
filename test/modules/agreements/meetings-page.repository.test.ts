import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import t from 'tap';
import { actionItems, meetings } from '../../../src/db/schema/index.ts';
import { meetingsPageOf } from '../../../src/modules/agreements/agreements.meetings.repository.ts';
import { activeAgreement } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';
import { explainSent, recordStatements } from '../../plans.ts';

// The page of meetings reads its meetings' action items and the meeting planned next in the same
// statement, as JSON (issue 17). What it gives must be what the tables hold, as drizzle's own reads
// give it: times as Dates, dates as text, nulls as null, on both databases.
t.test('a page of meetings gives its action items and the meeting planned next as the tables hold them', async (t) => {
  const h = await buildTestApp(t);
  const coordinator = await h.as('coordinator', 101);
  const db = h.database.db;
  const agreement = await activeAgreement(h, coordinator, '2025-01-01');
  const log = async (payload: Record<string, unknown>) => {
    const res = await coordinator.inject({
      method: 'POST',
      url: `/api/v1/agreements/${agreement.id}/meetings`,
      payload: { actionItems: [], ...payload },
    });
    t.equal(res.statusCode, 201, res.body);
    return res.json() as { id: number; actionItems: { id: number; version: number; text: string }[] };
  };
  await log({ plannedOn: '2026-03-01' });
  await log({ plannedOn: '2026-02-01' });
  const held = await log({
    heldOn: '2025-06-01',
    notes: 'Mødet om vinteren',
    actionItems: [
      { text: 'Ring til caféen', ownerUserId: coordinator.user.id, dueOn: '2025-07-01' },
      { text: 'Send referatet', ownerName: 'Bo fra caféen' },
    ],
  });
  t.same(
    held.actionItems.map((i) => i.text),
    ['Ring til caféen', 'Send referatet'],
    'a meeting logged answers with the items just written, in order',
  );
  const done = held.actionItems[0];
  const ticked = await coordinator.inject({
    method: 'PATCH',
    url: `/api/v1/action-items/${done?.id}`,
    payload: { done: true, version: done?.version },
  });
  t.equal(ticked.statusCode, 200, ticked.body);

  const page = await meetingsPageOf(db, agreement.id, { limit: 10, offset: 0 });
  const tableMeetings = await db.select().from(meetings).where(eq(meetings.agreementId, agreement.id));
  const tableItems = await db
    .select()
    .from(actionItems)
    .where(
      inArray(
        actionItems.meetingId,
        tableMeetings.map((m) => m.id),
      ),
    )
    .orderBy(asc(actionItems.id));
  t.equal(page.total, 3);
  t.same(
    page.rows.map((r) => r.meeting.plannedOn),
    ['2026-03-01', '2026-02-01', '2025-06-01'],
    'newest first',
  );
  for (const { meeting, items } of page.rows) {
    t.strictSame(
      meeting,
      tableMeetings.find((m) => m.id === meeting.id),
      `meeting ${meeting.plannedOn} as stored`,
    );
    t.strictSame(
      items,
      tableItems.filter((i) => i.meetingId === meeting.id),
      `meeting ${meeting.plannedOn}: its items as stored`,
    );
  }
  const [heldItems] = page.rows.filter((r) => r.meeting.id === held.id).map((r) => r.items);
  t.ok(heldItems?.[0]?.doneAt instanceof Date, 'a ticked item’s time is a Date');
  t.equal(heldItems?.[1]?.doneAt, null, 'an open item’s is null');
  t.ok(heldItems?.[0]?.createdAt instanceof Date);
  const [nextPlanned] = await db
    .select()
    .from(meetings)
    .where(and(eq(meetings.agreementId, agreement.id), isNull(meetings.heldOn)))
    .orderBy(asc(meetings.plannedOn));
  t.equal(page.planned?.plannedOn, '2026-02-01', 'the meeting planned next is the earliest not held');
  t.strictSame(page.planned, nextPlanned, 'as stored, with its times as Dates');

  const second = await meetingsPageOf(db, agreement.id, { limit: 2, offset: 2 });
  t.same(
    second.rows.map((r) => r.meeting.id),
    [held.id],
    'the second page of two',
  );
  t.strictSame(second.planned, nextPlanned, 'the second page knows the meeting planned next too');
  t.equal(page.lastHeldOn, '2025-06-01', 'the day of the last meeting held, as text');
  const first = await meetingsPageOf(db, agreement.id, { limit: 1, offset: 0 });
  t.equal(first.lastHeldOn, '2025-06-01', 'on a page that does not list it too');
  const past = await meetingsPageOf(db, agreement.id, { limit: 10, offset: 10 });
  t.same(past.rows, [], 'a page past the end is empty');
  t.equal(past.total, 3, 'and still counts the meetings');
  t.strictSame(past.planned, nextPlanned, 'and knows the meeting planned next');
  t.equal(past.lastHeldOn, '2025-06-01', 'and the last one held');
  const other = await coordinator.inject({
    method: 'POST',
    url: '/api/v1/agreements',
    payload: { title: 'Aftale uden møder', kind: 'informal', actorIds: [agreement.actorId], startsOn: '2026-01-01' },
  });
  t.equal(other.statusCode, 201, other.body);
  const none = await meetingsPageOf(db, other.json().id, { limit: 10, offset: 0 });
  t.equal(none.lastHeldOn, null, 'none held: null');
});

// An agreement gathers meetings for as long as it runs; a page of ten must not read them all.
t.test('a page of meetings is read off its index, and counted apart: not every meeting read', async (t) => {
  const h = await buildTestApp(t);
  const coordinator = await h.as('coordinator', 101);
  const agreement = await activeAgreement(h, coordinator, '2020-01-01');
  await h.database.db.insert(meetings).values(
    Array.from({ length: 60 }, (_, i) => ({
      agreementId: agreement.id,
      plannedOn: `20${String(20 + Math.floor(i / 12)).padStart(2, '0')}-${String((i % 12) + 1).padStart(2, '0')}-15`,
      heldOn: `20${String(20 + Math.floor(i / 12)).padStart(2, '0')}-${String((i % 12) + 1).padStart(2, '0')}-15`,
    })),
  );
  await h.database.db.execute(sql`analyze meetings`);
  const { sent, stop } = recordStatements(h.database);
  const page = await meetingsPageOf(h.database.db, agreement.id, { limit: 10, offset: 0 });
  stop();
  t.equal(page.total, 60);
  t.same(
    page.rows.map((r) => r.meeting.heldOn),
    [
      '2024-12-15',
      '2024-11-15',
      '2024-10-15',
      '2024-09-15',
      '2024-08-15',
      '2024-07-15',
      '2024-06-15',
      '2024-05-15',
      '2024-04-15',
      '2024-03-15',
    ],
    'the newest ten',
  );
  const statement = sent.find(([text]) => /from "meetings"/.test(text));
  if (!statement) throw new Error(`no page statement among:\n${sent.map(([q]) => q).join('\n')}`);
  const plan = (
    await explainSent(
      h.database,
      statement,
      [sql`set local enable_seqscan = off`, sql`set local enable_sort = off`],
      'analyze, costs off, timing off, summary off',
    )
  ).join('\n');
  t.notMatch(plan, /WindowAgg/, `no count over every row:\n${plan}`);
  t.match(plan, /Limit \(actual rows=10/, 'ten read for the page');
});
