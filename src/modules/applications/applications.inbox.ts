/**
 * The staff side of applications (issue 21): a round's inbox, one application as its municipality's
 * staff see it, the registry's actor it is (confirmed, or created from it through the actors
 * service and its duplicate guard), and the start of its review. Only the users of the round's
 * municipality see any of it; to everyone else an application does not exist (404). A draft is the
 * applicant's alone. Knows nothing of HTTP.
 */
import type { Database, Queryable } from '../../db/client.ts';
import { AppError, notFound, staleVersion } from '../../lib/errors.ts';
import { assertMayReadApplication, assertMayWrite, mayReadApplications, mayWrite } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import type { ActorService } from '../actors/actors.service.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import type { RoundRow } from '../grants/grants.repository.ts';
import { findRound } from '../grants/grants.rounds.repository.ts';
import type { GrantService } from '../grants/grants.service.ts';
import type { ReviewService } from '../reviews/reviews.service.ts';
import { documentContent, documentsOf, findDocument } from './applications.documents.repository.ts';
import { type ApplicationRow, targetGroupsOf } from './applications.repository.ts';
import {
  actorSummary,
  actorsWithCvr,
  apiPage,
  type InboxRow,
  inboxCounts,
  inboxPage,
  newCount,
  sentApplication,
  setActorIfVersion,
  startReviewIfVersion,
} from './applications.staff.repository.ts';
import {
  type ApplicationListQuery,
  type ConfirmActorInput,
  type CreateActorInput,
  INBOX_PAGE_SIZE,
  type InboxTab,
  inboxTabs,
  tabStatuses,
} from './applications.staff.schemas.ts';

const undecided = (a: ApplicationRow) => a.status === 'submitted' || a.status === 'under_review';

export function createApplicationInboxService(
  database: Database,
  deps: {
    actors: ActorService;
    grants: GrantService;
    /** Whoever declared a conflict of interest on the application does not settle its actor. */
    reviews: Pick<ReviewService, 'assertNotConflicted'>;
  },
) {
  const db = database.db;

  /** The round, if the principal may read its applications; 404 otherwise (the public included). */
  async function readableRound(principal: Principal, roundId: number): Promise<RoundRow> {
    const round = await findRound(db, roundId);
    if (!round || !mayReadApplications(principal, round.municipalityCode)) throw notFound('grant_round', roundId);
    return round;
  }

  /** A sent application the principal may read, with its round's municipality; 404 otherwise. */
  async function readable(q: Queryable, principal: Principal, id: number, forUpdate = false) {
    const found = await sentApplication(q, id, forUpdate);
    if (!found) throw notFound('application', id);
    assertMayReadApplication(principal, found.municipalityCode, id);
    return found;
  }

  /**
   * Who may settle the application's actor, before its transaction: 404 outside the round's
   * municipality, 403 for a reader, 403 (REVIEWER_CONFLICTED) for whoever declared a conflict.
   */
  async function assertMayMatch(principal: Principal, id: number) {
    const { municipalityCode } = await readable(db, principal, id);
    assertMayWrite(principal, 'applications', municipalityCode);
    if (principal.userId !== null) await deps.reviews.assertNotConflicted(id, principal.userId);
  }

  /** What a stale form's 409 shows: no more than the page shows the same user. */
  const current = (a: ApplicationRow) => ({ id: a.id, status: a.status, actorId: a.actorId, version: a.version });

  /** The application's actor can change while it is undecided, from the version read. */
  function assertChangeable(a: ApplicationRow, version: number) {
    if (!undecided(a))
      throw new AppError('APPLICATION_DECIDED', 409, 'applications.staff.decided', { details: { id: a.id } });
    if (a.version !== version) throw staleVersion('application', current(a));
  }

  async function auditActorSet(tx: Queryable, principal: Principal, before: ApplicationRow, after: ApplicationRow) {
    await recordAudit(tx, principal, {
      entity: 'application',
      entityId: after.id,
      action: 'application_actor_set',
      before: { actorId: before.actorId, version: before.version },
      after: { actorId: after.actorId, version: after.version },
    });
  }

  return {
    /** A round's applications in one tab, a page at a time, and the count of each tab. */
    async inbox(principal: Principal, roundId: number, tab: InboxTab, page: number) {
      const round = await readableRound(principal, roundId);
      const offset = (page - 1) * INBOX_PAGE_SIZE;
      const [byStatus, rows] = await Promise.all([
        inboxCounts(db, roundId),
        inboxPage(db, roundId, tabStatuses[tab], { limit: INBOX_PAGE_SIZE, offset }),
      ]);
      const counts = Object.fromEntries(
        inboxTabs.map((t) => [t, tabStatuses[t].reduce((n, s) => n + (byStatus.get(s) ?? 0), 0)]),
      ) as Record<InboxTab, number>;
      return { round, counts, rows: rows as InboxRow[], total: counts[tab], pageSize: INBOX_PAGE_SIZE };
    },

    /** The number of new applications in the round, for its page; null for whoever may not read them. */
    async newInRound(principal: Principal, round: { id: number; municipalityCode: number }) {
      if (!mayReadApplications(principal, round.municipalityCode)) return null;
      return newCount(db, round.id);
    },

    /**
     * One application for its page: what the applicant sent, its documents, its round, and the
     * registry's side: the matched actor, or the actors proposed (by CVR number, else by a similar
     * name through the registry's duplicate guard), and the matched actor's overdue reports.
     */
    async get(principal: Principal, id: number) {
      const { application, municipalityCode } = await readable(db, principal, id);
      const [round, targetGroups, documents] = await Promise.all([
        findRound(db, application.roundId),
        targetGroupsOf(db, id),
        documentsOf(db, id),
      ]);
      const actor = application.actorId === null ? undefined : await actorSummary(db, application.actorId);
      const name = application.organisationName ?? application.groupName ?? '';
      const byCvr = !actor && application.cvr ? await actorsWithCvr(db, application.cvr) : [];
      const similar = !actor && !byCvr.length && name ? await deps.actors.similarNames(name) : [];
      const overdue = actor
        ? (await deps.grants.listGrants({ actorId: actor.id, overdue: true, limit: 20, offset: 0 })).items
        : [];
      return {
        application,
        round: round as RoundRow,
        targetGroups,
        documents,
        actor,
        proposals: { byCvr, similar },
        overdue,
        mayHandle: mayWrite(principal, 'applications', municipalityCode),
        mayReview: mayWrite(principal, 'reviews', municipalityCode),
        mayDecide: mayWrite(principal, 'grants', municipalityCode),
      };
    },

    /**
     * Permission to settle the actor before anything else: 404 outside the round's municipality,
     * 403 for a reader only, 403 (REVIEWER_CONFLICTED) for whoever declared a conflict of interest.
     */
    assertMayHandle: assertMayMatch,

    /** Confirms an actor of the registry as the applicant: version-checked and audited. */
    async confirmActor(principal: Principal, id: number, input: ConfirmActorInput) {
      await assertMayMatch(principal, id);
      return db.transaction(async (tx) => {
        const { application, municipalityCode } = await readable(tx, principal, id, true);
        assertMayWrite(principal, 'applications', municipalityCode);
        assertChangeable(application, input.version);
        const actor = await actorSummary(tx, input.actorId);
        if (!actor || actor.status === 'archived')
          throw new AppError('VALIDATION_FAILED', 400, 'applications.staff.actorUnknown', {
            fieldErrors: { actorId: ['applications.staff.actorUnknown'] },
          });
        const after = await setActorIfVersion(tx, id, input.version, actor.id);
        if (!after) throw staleVersion('application', current(application));
        await auditActorSet(tx, principal, application, after);
        return after;
      });
    },

    /**
     * Creates the applicant as an actor of the registry, with the roles staff chose, and matches the
     * application to it, in one transaction: the actors service's rules apply (a CVR number already
     * registered is refused, similar names are refused unless allowed). An informal group is
     * registered by its group name. The actor is at home in the round's municipality and works where
     * the application says, with its target groups.
     */
    async createActor(principal: Principal, id: number, input: CreateActorInput) {
      await assertMayMatch(principal, id);
      const known = await deps.actors.knownMunicipalities();
      return db.transaction(async (tx) => {
        const { application: a, municipalityCode } = await readable(tx, principal, id, true);
        assertMayWrite(principal, 'applications', municipalityCode);
        assertChangeable(a, input.version);
        const name = (a.applicantKind === 'informal_group' ? a.groupName : a.organisationName) ?? '';
        if (!name.trim())
          throw new AppError('APPLICATION_NO_NAME', 409, 'applications.staff.noName', { details: { id } });
        const groups = await targetGroupsOf(tx, id);
        const actor = await deps.actors.registerWithin(
          tx,
          principal,
          {
            name,
            cvr: a.applicantKind === 'organisation' ? a.cvr : null,
            orgType: a.applicantKind === 'informal_group' ? 'informal_group' : (input.orgType ?? 'association'),
            roles: input.roles,
            underServiceAct: input.roles.includes('service_provider') ? (input.underServiceAct ?? null) : null,
            homeMunicipalityCode: municipalityCode,
            municipalityCodes: a.municipalityCodes.filter((c) => known.has(c)),
            targetGroupIds: groups.map((g) => g.targetGroupId),
            contacts: [],
            status: 'active',
          },
          known,
          { allowSimilar: input.allowSimilar === true, area: 'applications' },
        );
        const after = await setActorIfVersion(tx, id, input.version, actor.id);
        if (!after) throw staleVersion('application', current(a));
        await auditActorSet(tx, principal, a, after);
        return { application: after, actor };
      });
    },

    /** Moves a new application into review (submitted → under review): version-checked and audited. */
    async startReview(principal: Principal, id: number, version: number) {
      return db.transaction(async (tx) => {
        const { application, municipalityCode } = await readable(tx, principal, id, true);
        assertMayWrite(principal, 'applications', municipalityCode);
        if (application.version !== version) throw staleVersion('application', current(application));
        if (application.status !== 'submitted')
          throw new AppError('APPLICATION_NOT_NEW', 409, 'applications.staff.notNew', { details: { id } });
        const after = await startReviewIfVersion(tx, id, version);
        if (!after) throw staleVersion('application', current(application));
        await recordAudit(tx, principal, {
          entity: 'application',
          entityId: id,
          action: 'application_review_started',
          before: { status: application.status, version: application.version },
          after: { status: after.status, version: after.version },
        });
        return after;
      });
    },

    /** A document of an application the principal may read, and its content as pieces; 404 otherwise. */
    async openDocument(principal: Principal, id: number, documentId: number) {
      await readable(db, principal, id);
      const document = await findDocument(db, id, documentId);
      if (!document) throw notFound('application_document', documentId);
      return { document, content: documentContent(db, document.id) };
    },

    /** The principal's municipality's sent applications, for the API; a round of another is 404. */
    async list(principal: Principal, query: ApplicationListQuery) {
      if (principal.municipalityCode === null) return { rows: [], total: 0 };
      if (query.roundId !== undefined) await readableRound(principal, query.roundId);
      return apiPage(
        db,
        {
          municipalityCode: principal.municipalityCode,
          roundId: query.roundId,
          statuses: query.status ? [query.status] : undefined,
        },
        query,
      );
    },

    /** One application with its target groups and documents, for the API. */
    async detail(principal: Principal, id: number) {
      const { application } = await readable(db, principal, id);
      const [targetGroups, documents] = await Promise.all([targetGroupsOf(db, id), documentsOf(db, id)]);
      return { application, targetGroups, documents };
    },
  };
}

export type ApplicationInboxService = ReturnType<typeof createApplicationInboxService>;
