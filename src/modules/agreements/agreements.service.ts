import type { Database, Db, Tx } from '../../db/client.ts';
import { addDays, addMonths, danishDate, daysBetween } from '../../lib/dates.ts';
import { AppError, notFound, staleVersion, validationFailed } from '../../lib/errors.ts';
import { assertMayWrite } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { createReadCache } from '../../lib/read-cache.ts';
import { writeTag } from '../../lib/write-tags.ts';
import { unknownTargetGroupIds } from '../actors/actors.repository.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import { closeOpenActionItems, countOpenActionItems } from './agreements.meetings.repository.ts';
import { createMeetingService, meetingPace } from './agreements.meetings.ts';
import {
  type AgreementParts,
  type AgreementRow,
  agreementParts,
  findAgreement,
  findAgreementWithParts,
  foreignGrantIds,
  grantsOfActors,
  inactiveOrForeignUserIds,
  insertAgreement,
  replaceAgreementParts,
  searchAgreements,
  unusableActorIds,
  updateAgreementIfVersion,
  userNames,
  usersOf,
} from './agreements.repository.ts';
import type {
  Agreement,
  AgreementInput,
  AgreementListQuery,
  AgreementPatch,
  AgreementStatus,
} from './agreements.schemas.ts';

/** An agreement goes from draft to active to ended; a draft may also end without ever running. */
const NEXT: Record<AgreementStatus, AgreementStatus[]> = {
  draft: ['active', 'ended'],
  active: ['ended'],
  ended: [],
};

type Links = Pick<AgreementInput, 'actorIds' | 'targetGroupIds' | 'grantIds'> & {
  coordinatorUserId?: number | null;
};

/** The last date a period may reach: ISO dates (and the forms) have four-digit years. */
const LAST_DATE = '9999-12-31';
/** Leeway for whole-month periods, which may come out a few days longer than the old one. */
const MONTH_LEEWAY = 31;

/**
 * The period of a renewal: it starts the day after the old one ends (or today, for an open-ended
 * one) and lasts as long. A period of whole months stays whole months, so a calendar year renews
 * into the next calendar year also across leap years. Null when the new period or its review date
 * would pass 31.12.9999 (an agreement "ending" 9999-12-31 really has no end).
 */
export function renewalPeriod(
  old: { startsOn: string; endsOn: string | null; reviewOn: string | null },
  today: string,
): { startsOn: string; endsOn: string | null; reviewOn: string | null } | null {
  // How far the dates move: to today, or by the old period's length.
  const shift = old.endsOn ? daysBetween(old.startsOn, old.endsOn) + 1 : daysBetween(old.startsOn, today);
  const fits = (from: string) => daysBetween(from, LAST_DATE) >= shift + MONTH_LEEWAY;
  if ((old.reviewOn && !fits(old.reviewOn)) || (old.endsOn && !fits(old.endsOn))) return null;
  if (!old.endsOn) {
    return { startsOn: today, endsOn: null, reviewOn: old.reviewOn ? addDays(old.reviewOn, shift) : null };
  }
  const startsOn = addDays(old.endsOn, 1);
  const end = addDays(old.endsOn, 1);
  const [sy, sm, sd] = old.startsOn.split('-').map(Number) as [number, number, number];
  const [ey, em, ed] = end.split('-').map(Number) as [number, number, number];
  const months = (ey - sy) * 12 + (em - sm);
  if (sd === ed && months > 0) {
    return {
      startsOn,
      endsOn: addDays(addMonths(startsOn, months), -1),
      reviewOn: old.reviewOn ? addMonths(old.reviewOn, months) : null,
    };
  }
  return {
    startsOn,
    endsOn: addDays(startsOn, shift - 1),
    reviewOn: old.reviewOn ? addDays(old.reviewOn, shift) : null,
  };
}

export function createAgreementService(database: Database) {
  const { db } = database;
  // The municipality's active users, who may own an action item or coordinate: every agreement page
  // and every meeting logged lists them. Kept until a user is written anywhere (or for a minute).
  const usersKept = createReadCache<{ id: number; name: string }[]>(database.writes, { max: 200, ttlMs: 60_000 });
  const activeUsers = (municipalityCode: number) =>
    usersKept.get(String(municipalityCode), [writeTag.users], () => usersOf(db, municipalityCode));

  async function toAgreements(
    rows: AgreementRow[],
    on: Db | Tx = db,
    known?: Map<number, AgreementParts>,
  ): Promise<Agreement[]> {
    const parts =
      known ??
      (await agreementParts(
        on,
        rows.map((r) => r.id),
      ));
    const today = danishDate();
    return rows.map((r) => {
      const p = parts.get(r.id);
      const last = p?.lastMeetingHeldOn ?? null;
      const pace = meetingPace(r, last, today);
      return {
        id: r.id,
        municipalityCode: r.municipalityCode,
        title: r.title,
        kind: r.kind,
        purpose: r.purpose,
        frame: r.frame,
        actorIds: p?.actorIds ?? [],
        targetGroupIds: p?.targetGroupIds ?? [],
        responsibilities: p?.responsibilities ?? [],
        startsOn: r.startsOn,
        endsOn: r.endsOn,
        reviewOn: r.reviewOn,
        meetingIntervalMonths: r.meetingIntervalMonths,
        coordinatorUserId: r.coordinatorUserId,
        grantIds: p?.grantIds ?? [],
        status: r.status,
        renewedFromId: r.renewedFromId,
        lastMeetingHeldOn: last,
        ...pace,
        version: r.version,
      };
    });
  }

  async function loadAgreement(on: Db | Tx, id: number): Promise<Agreement> {
    const found = await findAgreementWithParts(on, id);
    if (!found) throw notFound('agreement', id);
    const [agreement] = await toAgreements([found.row], on, new Map([[found.row.id, found.parts]]));
    if (!agreement) throw notFound('agreement', id);
    return agreement;
  }

  /** Every id the agreement points at must exist and belong where it should. */
  async function checkLinks(tx: Tx, municipalityCode: number, links: Partial<Links>): Promise<void> {
    const errors: Record<string, string[]> = {};
    if (links.actorIds) {
      if (new Set(links.actorIds).size !== links.actorIds.length) errors.actorIds = ['agreement.actors.duplicate'];
      else if ((await unusableActorIds(tx, links.actorIds)).length) errors.actorIds = ['agreement.actors.unknown'];
    }
    if (links.targetGroupIds && (await unknownTargetGroupIds(tx, links.targetGroupIds, municipalityCode)).length)
      errors.targetGroupIds = ['agreement.targetGroups.unknown'];
    if (links.grantIds && (await foreignGrantIds(tx, links.grantIds, municipalityCode)).length)
      errors.grantIds = ['agreement.grants.foreign'];
    if (
      links.coordinatorUserId &&
      (await inactiveOrForeignUserIds(tx, [links.coordinatorUserId], municipalityCode)).length
    )
      errors.coordinatorUserId = ['agreement.coordinator.foreign'];
    if (Object.keys(errors).length) throw validationFailed(errors);
  }

  function checkTransition(from: AgreementStatus, to: AgreementStatus) {
    if (from === to) return;
    if (!NEXT[from].includes(to)) {
      throw new AppError('INVALID_TRANSITION', 409, 'agreement.invalidTransition', {
        details: { from, to, allowed: NEXT[from] },
      });
    }
  }

  const service = {
    // Status meetings and their action items: agreements.meetings.ts.
    ...createMeetingService(db),

    async list(query: AgreementListQuery): Promise<{ items: Agreement[]; total: number }> {
      const { rows, total, parts } = await searchAgreements(db, query);
      return { items: await toAgreements(rows, db, parts), total };
    },

    async get(id: number): Promise<Agreement> {
      return loadAgreement(db, id);
    },

    async create(principal: Principal, input: AgreementInput): Promise<Agreement> {
      const municipalityCode = input.municipalityCode ?? principal.municipalityCode ?? 0;
      assertMayWrite(principal, 'agreements', municipalityCode);
      const id = await db.transaction(async (tx) => {
        await checkLinks(tx, municipalityCode, input);
        const row = await insertAgreement(tx, {
          municipalityCode,
          title: input.title,
          kind: input.kind,
          purpose: input.purpose ?? null,
          frame: input.frame ?? null,
          startsOn: input.startsOn,
          endsOn: input.endsOn ?? null,
          reviewOn: input.reviewOn ?? null,
          meetingIntervalMonths: input.meetingIntervalMonths ?? null,
          coordinatorUserId: input.coordinatorUserId ?? null,
          status: input.status,
        });
        await replaceAgreementParts(tx, row.id, input);
        const after = await loadAgreement(tx, row.id);
        await recordAudit(tx, principal, { entity: 'agreement', entityId: row.id, action: 'create', after });
        return row.id;
      });
      return service.get(id);
    },

    async update(principal: Principal, id: number, patch: AgreementPatch & { version: number }): Promise<Agreement> {
      await db.transaction(async (tx) => {
        const row = await findAgreement(tx, id, true);
        if (!row) throw notFound('agreement', id);
        assertMayWrite(principal, 'agreements', row.municipalityCode);
        const before = await loadAgreement(tx, id);
        if (row.version !== patch.version) throw staleVersion('agreement', before);
        if (patch.status) checkTransition(row.status, patch.status);
        const startsOn = patch.startsOn ?? row.startsOn;
        const endsOn = patch.endsOn === undefined ? row.endsOn : patch.endsOn;
        if (endsOn && endsOn < startsOn) throw validationFailed({ endsOn: ['agreement.endsBeforeStart'] });
        await checkLinks(tx, row.municipalityCode, patch);
        const { version, actorIds, targetGroupIds, responsibilities, grantIds, ...fields } = patch;
        const updated = await updateAgreementIfVersion(tx, id, version, fields);
        if (!updated) throw staleVersion('agreement', before);
        await replaceAgreementParts(tx, id, { actorIds, targetGroupIds, responsibilities, grantIds });
        const after = await loadAgreement(tx, id);
        await recordAudit(tx, principal, { entity: 'agreement', entityId: id, action: 'update', before, after });
      });
      return service.get(id);
    },

    /** How many of the agreement's action items are open: what ending and reopening say they leave. */
    async openActionItemCount(id: number): Promise<number> {
      return countOpenActionItems(db, id);
    },

    /**
     * Reopens an ended agreement (ended → active): only its own municipality may, on the version it
     * read. Its action items left open stay open ('keep', carried over) or are ticked off now
     * ('close'), as the user chose; each item closed is audited as completed.
     */
    async reopen(
      principal: Principal,
      id: number,
      input: { version: number; openItems: 'keep' | 'close' },
    ): Promise<Agreement> {
      await db.transaction(async (tx) => {
        const row = await findAgreement(tx, id, true);
        if (!row) throw notFound('agreement', id);
        assertMayWrite(principal, 'agreements', row.municipalityCode);
        const before = await loadAgreement(tx, id);
        if (row.version !== input.version) throw staleVersion('agreement', before);
        if (row.status !== 'ended') {
          throw new AppError('INVALID_TRANSITION', 409, 'agreement.invalidTransition', {
            details: { from: row.status, to: 'active', allowed: NEXT[row.status] },
          });
        }
        const updated = await updateAgreementIfVersion(tx, id, input.version, { status: 'active' });
        if (!updated) throw staleVersion('agreement', before);
        const closed = input.openItems === 'close' ? await closeOpenActionItems(tx, id, principal.userId) : [];
        for (const item of closed) {
          await recordAudit(tx, principal, {
            entity: 'action_item',
            entityId: item.id,
            action: 'complete',
            before: { agreementId: id, done: false, version: item.version },
            after: { agreementId: id, done: true, version: item.version + 1 },
          });
        }
        const after = await loadAgreement(tx, id);
        await recordAudit(tx, principal, {
          entity: 'agreement',
          entityId: id,
          action: 'reopen',
          before,
          after: { ...after, openActionItems: input.openItems, actionItemsClosed: closed.length },
        });
      });
      return service.get(id);
    },

    /** Copies an agreement into its next period, as a draft that points back at the one it renews. */
    async renew(principal: Principal, id: number): Promise<Agreement> {
      const today = danishDate();
      const newId = await db.transaction(async (tx) => {
        const row = await findAgreement(tx, id, true);
        if (!row) throw notFound('agreement', id);
        assertMayWrite(principal, 'agreements', row.municipalityCode);
        const old = await loadAgreement(tx, id);
        const period = renewalPeriod(row, today);
        // An agreement that runs to the end of the calendar has no next period: the user corrects its end date first.
        if (!period) throw new AppError('RENEWAL_BEYOND_CALENDAR', 409, 'agreement.renew.beyondCalendar');
        const created = await insertAgreement(tx, {
          municipalityCode: row.municipalityCode,
          title: row.title,
          kind: row.kind,
          purpose: row.purpose,
          frame: row.frame,
          ...period,
          meetingIntervalMonths: row.meetingIntervalMonths,
          coordinatorUserId: row.coordinatorUserId,
          status: 'draft',
          renewedFromId: row.id,
        });
        await replaceAgreementParts(tx, created.id, {
          actorIds: old.actorIds,
          targetGroupIds: old.targetGroupIds,
          responsibilities: old.responsibilities,
        });
        const after = await loadAgreement(tx, created.id);
        await recordAudit(tx, principal, { entity: 'agreement', entityId: created.id, action: 'renew', after });
        return created.id;
      });
      return service.get(newId);
    },

    /** What the forms offer: the municipality's users, and the grants of the chosen actors. */
    async formOptions(municipalityCode: number, actorIds: number[]) {
      const [people, grantOptions] = await Promise.all([
        activeUsers(municipalityCode),
        grantsOfActors(db, actorIds, municipalityCode),
      ]);
      return { users: people, grants: grantOptions };
    },

    /** The municipality's active users, who may own an action item. */
    async users(municipalityCode: number) {
      return activeUsers(municipalityCode);
    },

    async userNames(ids: number[]): Promise<Map<number, string>> {
      return userNames(db, ids);
    },
  };
  return service;
}

export type AgreementService = ReturnType<typeof createAgreementService>;
