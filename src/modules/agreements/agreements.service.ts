import type { Db, Tx } from '../../db/client.ts';
import { addDays, addMonths, danishDate, daysBetween, isOverdue, nextMeetingDue } from '../../lib/dates.ts';
import { AppError, notFound, staleVersion, validationFailed } from '../../lib/errors.ts';
import { assertMayWrite } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { unknownTargetGroupIds } from '../actors/actors.repository.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import {
  type ActionItemRow,
  type AgreementRow,
  actionItemsOfMeetings,
  agreementParts,
  findActionItem,
  findAgreement,
  findMeeting,
  foreignGrantIds,
  grantsOfActors,
  inactiveOrForeignUserIds,
  insertActionItems,
  insertAgreement,
  insertMeeting,
  type MeetingRow,
  meetingsOf,
  replaceAgreementParts,
  searchActionItems,
  searchAgreements,
  unusableActorIds,
  updateActionItemIfVersion,
  updateAgreementIfVersion,
  updateMeetingIfVersion,
  userNames,
  usersOf,
} from './agreements.repository.ts';
import type {
  ActionItem,
  ActionItemListQuery,
  ActionItemPatch,
  Agreement,
  AgreementInput,
  AgreementListQuery,
  AgreementPatch,
  AgreementStatus,
  Meeting,
  MeetingInput,
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

function toActionItem(row: ActionItemRow, today: string): ActionItem {
  return {
    id: row.id,
    meetingId: row.meetingId,
    agreementId: row.agreementId,
    text: row.text,
    ownerUserId: row.ownerUserId,
    ownerName: row.ownerName,
    dueOn: row.dueOn,
    done: row.doneAt !== null,
    doneAt: row.doneAt ? row.doneAt.toISOString() : null,
    overdue: row.doneAt === null && row.dueOn !== null && isOverdue(row.dueOn, today),
    version: row.version,
  };
}

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

export function createAgreementService(db: Db) {
  async function toAgreements(rows: AgreementRow[], on: Db | Tx = db): Promise<Agreement[]> {
    const parts = await agreementParts(
      on,
      rows.map((r) => r.id),
    );
    const today = danishDate();
    return rows.map((r) => {
      const p = parts.get(r.id);
      const last = p?.lastMeetingHeldOn ?? null;
      const next =
        r.meetingIntervalMonths && r.status !== 'ended'
          ? nextMeetingDue(last, r.startsOn, r.meetingIntervalMonths)
          : null;
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
        nextMeetingDueOn: next,
        meetingOverdue: r.status === 'active' && next !== null && isOverdue(next, today),
        version: r.version,
      };
    });
  }

  async function loadAgreement(on: Db | Tx, id: number): Promise<Agreement> {
    const row = await findAgreement(on, id);
    if (!row) throw notFound('agreement', id);
    const [agreement] = await toAgreements([row], on);
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
    if (links.targetGroupIds && (await unknownTargetGroupIds(tx, links.targetGroupIds)).length)
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

  async function toMeetings(rows: MeetingRow[], on: Db | Tx = db): Promise<Meeting[]> {
    const items = await actionItemsOfMeetings(
      on,
      rows.map((m) => m.id),
    );
    const today = danishDate();
    return rows.map((m) => ({
      id: m.id,
      agreementId: m.agreementId,
      plannedOn: m.plannedOn,
      heldOn: m.heldOn,
      participants: m.participants,
      notes: m.notes,
      decisions: m.decisions,
      actionItems: items.filter((i) => i.meetingId === m.id).map((i) => toActionItem(i, today)),
      version: m.version,
    }));
  }

  const service = {
    async list(query: AgreementListQuery): Promise<{ items: Agreement[]; total: number }> {
      const { rows, total } = await searchAgreements(db, query);
      return { items: await toAgreements(rows), total };
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

    async meetings(agreementId: number): Promise<Meeting[]> {
      return toMeetings(await meetingsOf(db, agreementId));
    },

    /**
     * Records a status meeting: a planned one now held (meetingId), a new one held, or with no
     * date held, a meeting planned. Returns it with the next meeting proposed from the pace.
     */
    async logMeeting(
      principal: Principal,
      agreementId: number,
      input: MeetingInput,
    ): Promise<{ meeting: Meeting; proposedNextOn: string | null }> {
      const today = danishDate();
      if (input.heldOn && input.heldOn > today) throw validationFailed({ heldOn: ['meeting.heldInFuture'] });
      const plannedOn = input.plannedOn ?? input.heldOn ?? undefined;
      if (!input.meetingId && !plannedOn) throw validationFailed({ plannedOn: ['meeting.dateRequired'] });
      const meetingId = await db.transaction(async (tx) => {
        const agreement = await findAgreement(tx, agreementId, true);
        if (!agreement) throw notFound('agreement', agreementId);
        assertMayWrite(principal, 'agreements', agreement.municipalityCode);
        const owners = input.actionItems.flatMap((i) => (i.ownerUserId ? [i.ownerUserId] : []));
        if ((await inactiveOrForeignUserIds(tx, owners, agreement.municipalityCode)).length)
          throw validationFailed({ actionItems: ['meeting.owner.foreign'] });
        let meeting: MeetingRow;
        let action: string;
        let before: Meeting | undefined;
        const fields = {
          heldOn: input.heldOn ?? null,
          participants: input.participants ?? null,
          notes: input.notes ?? null,
          decisions: input.decisions ?? null,
        };
        if (input.meetingId) {
          const planned = await findMeeting(tx, input.meetingId, true);
          if (!planned || planned.agreementId !== agreementId) throw notFound('meeting', input.meetingId);
          [before] = await toMeetings([planned], tx);
          if (input.version === undefined) throw validationFailed({ version: ['validation.versionRequired'] });
          const updated = await updateMeetingIfVersion(tx, planned.id, input.version, {
            ...fields,
            ...(input.plannedOn ? { plannedOn: input.plannedOn } : {}),
          });
          if (!updated) throw staleVersion('meeting', before);
          meeting = updated;
          action = input.heldOn ? 'log' : 'update';
        } else {
          meeting = await insertMeeting(tx, { agreementId, plannedOn: plannedOn as string, ...fields });
          action = input.heldOn ? 'log' : 'plan';
        }
        await insertActionItems(
          tx,
          input.actionItems.map((i) => ({
            meetingId: meeting.id,
            agreementId,
            text: i.text,
            ownerUserId: i.ownerUserId ?? null,
            ownerName: i.ownerName ?? null,
            dueOn: i.dueOn ?? null,
          })),
        );
        const [after] = await toMeetings([meeting], tx);
        await recordAudit(tx, principal, { entity: 'meeting', entityId: meeting.id, action, before, after });
        return meeting.id;
      });
      const meeting = await service.getMeeting(meetingId);
      const agreement = await findAgreement(db, agreementId);
      const proposedNextOn =
        meeting.heldOn && agreement?.meetingIntervalMonths
          ? addMonths(meeting.heldOn, agreement.meetingIntervalMonths)
          : null;
      return { meeting, proposedNextOn };
    },

    async getMeeting(id: number): Promise<Meeting> {
      const row = await findMeeting(db, id);
      if (!row) throw notFound('meeting', id);
      const [meeting] = await toMeetings([row]);
      if (!meeting) throw notFound('meeting', id);
      return meeting;
    },

    async getActionItem(id: number): Promise<ActionItem> {
      const row = await findActionItem(db, id);
      if (!row) throw notFound('action_item', id);
      return toActionItem(row, danishDate());
    },

    async listActionItems(query: ActionItemListQuery) {
      const { rows, total } = await searchActionItems(db, query);
      const today = danishDate();
      return {
        items: rows.map((r) => ({
          ...toActionItem(r, today),
          agreementTitle: r.agreementTitle,
          municipalityCode: r.municipalityCode,
        })),
        total,
      };
    },

    /** Ticks an action item off (or on again), or changes its text, owner or due date. */
    async updateActionItem(
      principal: Principal,
      id: number,
      patch: ActionItemPatch & { version: number },
    ): Promise<ActionItem> {
      const today = danishDate();
      await db.transaction(async (tx) => {
        const row = await findActionItem(tx, id, true);
        if (!row) throw notFound('action_item', id);
        const agreement = await findAgreement(tx, row.agreementId);
        if (!agreement) throw notFound('agreement', row.agreementId);
        assertMayWrite(principal, 'agreements', agreement.municipalityCode);
        const before = toActionItem(row, today);
        if (row.version !== patch.version) throw staleVersion('action_item', before);
        if (
          patch.ownerUserId &&
          (await inactiveOrForeignUserIds(tx, [patch.ownerUserId], agreement.municipalityCode)).length
        )
          throw validationFailed({ ownerUserId: ['meeting.owner.foreign'] });
        const { version, done, ...fields } = patch;
        const doneChange =
          done === undefined || done === (row.doneAt !== null)
            ? {}
            : done
              ? { doneAt: new Date(), doneByUserId: principal.userId }
              : { doneAt: null, doneByUserId: null };
        const updated = await updateActionItemIfVersion(tx, id, version, { ...fields, ...doneChange });
        if (!updated) throw staleVersion('action_item', before);
        const action = 'doneAt' in doneChange ? (doneChange.doneAt ? 'complete' : 'reopen') : 'update';
        await recordAudit(tx, principal, {
          entity: 'action_item',
          entityId: id,
          action,
          before,
          after: toActionItem(updated, today),
        });
      });
      return service.getActionItem(id);
    },

    /** What the forms offer: the municipality's users, and the grants of the chosen actors. */
    async formOptions(municipalityCode: number, actorIds: number[]) {
      const [people, grantOptions] = await Promise.all([
        usersOf(db, municipalityCode),
        grantsOfActors(db, actorIds, municipalityCode),
      ]);
      return { users: people, grants: grantOptions };
    },

    async userNames(ids: number[]): Promise<Map<number, string>> {
      return userNames(db, ids);
    },
  };
  return service;
}

export type AgreementService = ReturnType<typeof createAgreementService>;
