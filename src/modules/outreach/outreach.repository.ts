import { and, asc, eq, getTableColumns, type SQL, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.ts';
import { jsonArray, selectAs } from '../../db/json-rows.ts';
import { builtOnceEach } from '../../db/prepared.ts';
import { outreach } from '../../db/schema/index.ts';
import { atVersion, nextVersionNow } from '../../db/versions.ts';
import type { Outreach } from './outreach.schemas.ts';

export type OutreachRow = typeof outreach.$inferSelect;

/** The most outreach a search gives. */
const OUTREACH_LIMIT = 2000;

/** What outreach shows: its columns but the record's timestamps. */
const { createdAt: _created, updatedAt: _updated, ...shownColumns } = getTableColumns(outreach);
export type OutreachShownRow = Omit<OutreachRow, 'createdAt' | 'updatedAt'>;

export async function findOutreach(db: Queryable, id: number, forUpdate = false): Promise<OutreachRow | undefined> {
  const q = db.select().from(outreach).where(eq(outreach.id, id));
  const [row] = forUpdate ? await q.for('update') : await q;
  return row;
}

export async function insertOutreach(db: Queryable, values: typeof outreach.$inferInsert): Promise<OutreachRow> {
  const [row] = await db.insert(outreach).values(values).returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

export async function updateOutreachIfVersion(
  db: Queryable,
  id: number,
  version: number,
  values: Partial<typeof outreach.$inferInsert>,
): Promise<OutreachRow | undefined> {
  const [row] = await db
    .update(outreach)
    .set({ ...values, ...nextVersionNow(outreach) })
    .where(atVersion(outreach, id, version))
    .returning();
  return row;
}

/**
 * Outreach by what is given (m: municipality, a: actor, f: from, t: to): each shape built once
 * (db/prepared.ts), since the calendar week asks on every request.
 */
const outreachOf = builtOnceEach<
  string,
  { municipalityCode?: number; actorId?: number; from?: string; to?: string },
  OutreachRow[]
>('outreach_of', (db, shape) => {
  const where: SQL[] = [];
  if (shape.includes('m')) where.push(eq(outreach.municipalityCode, sql.placeholder('municipalityCode')));
  if (shape.includes('a')) where.push(eq(outreach.actorId, sql.placeholder('actorId')));
  if (shape.includes('t')) where.push(sql`${outreach.periodStart} <= ${sql.placeholder('to')}::date`);
  if (shape.includes('f'))
    where.push(sql`(${outreach.periodEnd} is null or ${outreach.periodEnd} >= ${sql.placeholder('from')}::date)`);
  return db
    .select()
    .from(outreach)
    .where(where.length ? and(...where) : undefined)
    .orderBy(asc(outreach.startsAt), asc(outreach.id))
    .limit(OUTREACH_LIMIT);
});

/**
 * An actor's outreach as searchOutreach gives it (order, limit) as one JSON array, without the
 * record's timestamps, for a statement that reads it beside its own rows: the actor's page reads it
 * with the actor (actors.repository.ts). Its rows map to outreach as the table's do (outreachOfRow).
 */
export function actorOutreachJson(actorId: SQL): SQL {
  return jsonArray(sql`select ${selectAs(shownColumns)} from ${outreach} where ${outreach.actorId} = ${actorId}
      order by ${outreach.startsAt}, ${outreach.id} limit ${OUTREACH_LIMIT}`);
}

/** What a row of outreach says, as the app shows it: days in order, times to the minute. */
export function outreachOfRow(r: OutreachShownRow): Outreach {
  return {
    id: r.id,
    municipalityCode: r.municipalityCode,
    actorId: r.actorId,
    kind: r.kind,
    unit: r.unit,
    weekdays: [...r.weekdays].map(Number).sort((a, b) => a - b),
    dates: [...r.dates].map(String).sort(),
    startsAt: r.startsAt.slice(0, 5),
    endsAt: r.endsAt.slice(0, 5),
    periodStart: r.periodStart,
    periodEnd: r.periodEnd,
    note: r.note,
    version: r.version,
  };
}

/** Outreach by municipality or actor, and those whose period meets the days from..to. */
export async function searchOutreach(
  db: Queryable,
  q: { municipalityCode?: number; actorId?: number; from?: string; to?: string },
): Promise<OutreachRow[]> {
  const values = {
    municipalityCode: q.municipalityCode,
    actorId: q.actorId,
    from: q.from || undefined,
    to: q.to || undefined,
  };
  const shape = [
    values.municipalityCode !== undefined ? 'm' : '',
    values.actorId !== undefined ? 'a' : '',
    values.from ? 'f' : '',
    values.to ? 't' : '',
  ].join('');
  return outreachOf(db, shape, values);
}
