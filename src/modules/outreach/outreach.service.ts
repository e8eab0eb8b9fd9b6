import type { Db } from '../../db/client.ts';
import { addDays, isoWeek, isoWeekday, mondayOfIsoWeek } from '../../lib/dates.ts';
import { notFound, staleVersion, validationFailed } from '../../lib/errors.ts';
import { assertMayWrite } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { unusableActorIds } from '../agreements/agreements.repository.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import {
  findOutreach,
  insertOutreach,
  outreachOfRow,
  searchOutreach,
  updateOutreachIfVersion,
} from './outreach.repository.ts';
import {
  type Outreach,
  type OutreachInput,
  type OutreachListQuery,
  type OutreachPatch,
  outreachProblems,
} from './outreach.schemas.ts';

/** The days from..to (inclusive) on which the outreach is held: its weekdays and its single dates, within its period. */
export function occurrences(o: Outreach, from: string, to: string): string[] {
  const out: string[] = [];
  const start = o.periodStart > from ? o.periodStart : from;
  const end = o.periodEnd && o.periodEnd < to ? o.periodEnd : to;
  for (let d = start; d <= end; d = addDays(d, 1)) {
    if (o.weekdays.includes(isoWeekday(d)) || o.dates.includes(d)) out.push(d);
  }
  return out;
}

export function createOutreachService(db: Db) {
  async function load(id: number): Promise<Outreach> {
    const row = await findOutreach(db, id);
    if (!row) throw notFound('outreach', id);
    return outreachOfRow(row);
  }

  const service = {
    get: load,

    async list(query: OutreachListQuery): Promise<Outreach[]> {
      const week = query.week ? mondayOfIsoWeek(query.week) : undefined;
      const from = week;
      const to = week ? addDays(week, 6) : undefined;
      const rows = (await searchOutreach(db, { ...query, from, to })).map(outreachOfRow);
      return from && to ? rows.filter((o) => occurrences(o, from, to).length > 0) : rows;
    },

    /** The week's outreach per day, Monday to Sunday. */
    async week(municipalityCode: number, week: string) {
      const monday = mondayOfIsoWeek(week);
      const sunday = addDays(monday, 6);
      const rows = (await searchOutreach(db, { municipalityCode, from: monday, to: sunday })).map(outreachOfRow);
      return Array.from({ length: 7 }, (_, i) => {
        const date = addDays(monday, i);
        return {
          date,
          weekday: i + 1,
          items: rows
            .filter((o) => occurrences(o, date, date).length > 0)
            .sort((a, b) => a.startsAt.localeCompare(b.startsAt)),
        };
      });
    },

    thisWeek: (today: string) => isoWeek(today),

    async create(principal: Principal, input: OutreachInput): Promise<Outreach> {
      const municipalityCode = input.municipalityCode ?? principal.municipalityCode ?? 0;
      assertMayWrite(principal, 'agreements', municipalityCode);
      const id = await db.transaction(async (tx) => {
        if ((await unusableActorIds(tx, [input.actorId])).length)
          throw validationFailed({ actorId: ['outreach.actorUnknown'] });
        const row = await insertOutreach(tx, {
          municipalityCode,
          actorId: input.actorId,
          kind: input.kind,
          unit: input.unit,
          weekdays: [...new Set(input.weekdays)],
          dates: [...new Set(input.dates)],
          startsAt: input.startsAt,
          endsAt: input.endsAt,
          periodStart: input.periodStart,
          periodEnd: input.periodEnd ?? null,
          note: input.note ?? null,
        });
        await recordAudit(tx, principal, {
          entity: 'outreach',
          entityId: row.id,
          action: 'create',
          after: outreachOfRow(row),
        });
        return row.id;
      });
      return load(id);
    },

    async update(principal: Principal, id: number, patch: OutreachPatch & { version: number }): Promise<Outreach> {
      await db.transaction(async (tx) => {
        const row = await findOutreach(tx, id, true);
        if (!row) throw notFound('outreach', id);
        assertMayWrite(principal, 'agreements', row.municipalityCode);
        const before = outreachOfRow(row);
        if (row.version !== patch.version) throw staleVersion('outreach', before);
        const merged = { ...before, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) };
        const problems = outreachProblems(merged);
        if (problems.length) {
          const fieldErrors: Record<string, string[]> = {};
          for (const [field, message] of problems) fieldErrors[field] = [...(fieldErrors[field] ?? []), message];
          throw validationFailed(fieldErrors);
        }
        if (patch.actorId !== undefined && (await unusableActorIds(tx, [patch.actorId])).length)
          throw validationFailed({ actorId: ['outreach.actorUnknown'] });
        const { version, ...fields } = patch;
        const updated = await updateOutreachIfVersion(tx, id, version, {
          ...fields,
          ...(fields.weekdays ? { weekdays: [...new Set(fields.weekdays)] } : {}),
          ...(fields.dates ? { dates: [...new Set(fields.dates)] } : {}),
        });
        if (!updated) throw staleVersion('outreach', before);
        await recordAudit(tx, principal, {
          entity: 'outreach',
          entityId: id,
          action: 'update',
          before,
          after: outreachOfRow(updated),
        });
      });
      return load(id);
    },
  };
  return service;
}

export type OutreachService = ReturnType<typeof createOutreachService>;
