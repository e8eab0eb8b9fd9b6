/**
 * Status meetings under an agreement and their action items: a meeting planned, held and logged,
 * and the items it leaves, ticked off one by one. Part of the agreement service
 * (createAgreementService spreads these methods in).
 */
import type { Db, Tx } from '../../db/client.ts';
import { addMonths, danishDate, isOverdue, nextMeetingDue } from '../../lib/dates.ts';
import { notFound, staleVersion, validationFailed } from '../../lib/errors.ts';
import { assertMayWrite } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import {
  actionItemsOfMeetings,
  findActionItem,
  findMeeting,
  insertActionItems,
  insertMeeting,
  meetingsOf,
  meetingsPageOf,
  searchActionItems,
  updateActionItemIfVersion,
  updateMeetingIfVersion,
} from './agreements.meetings.repository.ts';
import {
  type ActionItemRow,
  type AgreementRow,
  findAgreement,
  inactiveOrForeignUserIds,
  type MeetingRow,
  userNames,
} from './agreements.repository.ts';
import type { ActionItem, ActionItemListQuery, ActionItemPatch, Meeting, MeetingInput } from './agreements.schemas.ts';

/** How many meetings the agreement page lists at a time, the newest first. */
const MEETINGS_PER_PAGE = 10;

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

/** A meeting and its action items (the oldest first), as the service gives it. */
function asMeeting(m: MeetingRow, items: ActionItemRow[], today: string): Meeting {
  return {
    id: m.id,
    agreementId: m.agreementId,
    plannedOn: m.plannedOn,
    heldOn: m.heldOn,
    participants: m.participants,
    notes: m.notes,
    decisions: m.decisions,
    actionItems: items.map((i) => toActionItem(i, today)),
    version: m.version,
  };
}

/** What the pace of an agreement's meetings is counted from. */
export type PaceFields = Pick<
  AgreementRow,
  'id' | 'municipalityCode' | 'status' | 'startsOn' | 'meetingIntervalMonths'
>;

/** The pace of an agreement's meetings: when the next one is due (none once ended), and whether it is overdue. */
export function meetingPace(
  agreement: Pick<PaceFields, 'status' | 'startsOn' | 'meetingIntervalMonths'>,
  lastHeldOn: string | null,
  today: string,
): { nextMeetingDueOn: string | null; meetingOverdue: boolean } {
  const next =
    agreement.meetingIntervalMonths && agreement.status !== 'ended'
      ? nextMeetingDue(lastHeldOn, agreement.startsOn, agreement.meetingIntervalMonths)
      : null;
  return {
    nextMeetingDueOn: next,
    meetingOverdue: agreement.status === 'active' && next !== null && isOverdue(next, today),
  };
}

/** What the meetings section says of its agreement. */
type MeetingsAgreement = Pick<PaceFields, 'id' | 'municipalityCode' | 'meetingIntervalMonths'> &
  ReturnType<typeof meetingPace>;

/** A page of an agreement's meetings and what the page says beside them. */
interface MeetingsPage {
  /** The agreement, its pace counted from the meetings as this page read them. */
  agreement: MeetingsAgreement;
  meetings: Meeting[];
  total: number;
  page: number;
  pages: number;
  /** The meeting planned next, which a meeting logged fills in, wherever it is listed. */
  planned: MeetingRow | undefined;
}

/** Status meetings and action items: the agreement service's methods for them. */
export function createMeetingService(db: Db) {
  async function toMeetings(rows: MeetingRow[], on: Db | Tx = db): Promise<Meeting[]> {
    const items = await actionItemsOfMeetings(
      on,
      rows.map((m) => m.id),
    );
    const today = danishDate();
    return rows.map((m) =>
      asMeeting(
        m,
        items.filter((i) => i.meetingId === m.id),
        today,
      ),
    );
  }

  const service = {
    async meetings(agreementId: number): Promise<Meeting[]> {
      return toMeetings(await meetingsOf(db, agreementId));
    },

    /**
     * The names of the meetings' action items' owners: those among the users given by it, the rest
     * (a user since made inactive) looked up, so a page that has the municipality's users reads no more.
     */
    async ownerNames(shown: Meeting[], users: { id: number; name: string }[]): Promise<Map<number, string>> {
      const named = new Map(users.map((u) => [u.id, u.name]));
      const names = new Map<number, string>();
      const others: number[] = [];
      for (const id of new Set(shown.flatMap((m) => m.actionItems.map((i) => i.ownerUserId)))) {
        if (id === null) continue;
        const name = named.get(id);
        if (name === undefined) others.push(id);
        else names.set(id, name);
      }
      if (others.length) for (const [id, name] of await userNames(db, others)) names.set(id, name);
      return names;
    },

    /** A page of an agreement's meetings, newest first (page 1 holds the newest). */
    async meetingsPage(agreement: PaceFields, page: number): Promise<MeetingsPage> {
      const { rows, total, planned, lastHeldOn } = await meetingsPageOf(db, agreement.id, {
        limit: MEETINGS_PER_PAGE,
        offset: (page - 1) * MEETINGS_PER_PAGE,
      });
      const today = danishDate();
      return {
        agreement: {
          id: agreement.id,
          municipalityCode: agreement.municipalityCode,
          meetingIntervalMonths: agreement.meetingIntervalMonths,
          ...meetingPace(agreement, lastHeldOn, today),
        },
        meetings: rows.map((r) => asMeeting(r.meeting, r.items, today)),
        total,
        page,
        pages: Math.max(1, Math.ceil(total / MEETINGS_PER_PAGE)),
        planned,
      };
    },

    /**
     * Records a status meeting: a planned one now held (meetingId), a new one held, or with no
     * date held, a meeting planned. Returns it with the next meeting proposed from the pace, and the
     * agreement as the transaction read it (a meeting changes none of its fields), so that an answer
     * listing the meetings need not read it again.
     */
    async logMeeting(
      principal: Principal,
      agreementId: number,
      input: MeetingInput,
    ): Promise<{ meeting: Meeting; proposedNextOn: string | null; agreement: PaceFields }> {
      const today = danishDate();
      if (input.heldOn && input.heldOn > today) throw validationFailed({ heldOn: ['meeting.heldInFuture'] });
      const plannedOn = input.plannedOn ?? input.heldOn ?? undefined;
      if (!input.meetingId && !plannedOn) throw validationFailed({ plannedOn: ['meeting.dateRequired'] });
      // The meeting as committed and the agreement's pace come out of the transaction that wrote them:
      // read again after it, they cost three more statements on every meeting logged (issue 17).
      const { meeting, agreement } = await db.transaction(async (tx) => {
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
        const added = await insertActionItems(
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
        // A new meeting's action items are those just written; one planned before may have some already.
        const [after] = input.meetingId ? await toMeetings([meeting], tx) : [asMeeting(meeting, added, today)];
        await recordAudit(tx, principal, { entity: 'meeting', entityId: meeting.id, action, before, after });
        if (!after) throw notFound('meeting', meeting.id);
        return { meeting: after, agreement };
      });
      const intervalMonths = agreement.meetingIntervalMonths;
      const proposedNextOn = meeting.heldOn && intervalMonths ? addMonths(meeting.heldOn, intervalMonths) : null;
      return { meeting, proposedNextOn, agreement };
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
  };
  return service;
}
