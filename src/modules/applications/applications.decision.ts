/**
 * The decision on an online application (issue 21): approved or rejected by finance or admin of the
 * round's municipality, with the meeting and the reasons. An approval goes into the grant flow: the
 * grant is created in the round for the matched actor and awarded through the grant service's own
 * award (the split over target groups, the budget guard), in the same transaction as the decision,
 * its audit record and the mail to the applicant with a fresh link. Knows nothing of HTTP.
 */
import type { Config } from '../../config.ts';
import type { Database, Tx } from '../../db/client.ts';
import { danishDate } from '../../lib/dates.ts';
import { AppError, notFound, staleVersion, validationFailed } from '../../lib/errors.ts';
import { formatDate, type Locale } from '../../lib/format.ts';
import { formatMoney } from '../../lib/money.ts';
import { assertMayDecideApplication } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { newSecret } from '../../lib/secrets.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import type { RoundRow } from '../grants/grants.repository.ts';
import { findRound } from '../grants/grants.rounds.repository.ts';
import type { GrantService } from '../grants/grants.service.ts';
import { queueMail } from '../mail/mail.compose.ts';
import type { MunicipalityService } from '../municipalities/municipalities.service.ts';
import type { ReviewService } from '../reviews/reviews.service.ts';
import { actorNameOf, awardOf, recordDecisionIfVersion } from './applications.decision.repository.ts';
import type { DecidedApplication, DecisionInput } from './applications.decision.schemas.ts';
import { type ApplicationRow, insertLink, targetGroupsOf } from './applications.repository.ts';
import { isUndecided, linkHash } from './applications.rules.ts';
import { sentApplication } from './applications.staff.repository.ts';

/** A decision run to its end and then undone: what the confirmation page asks about would pass. */
class Rehearsal extends Error {}

export function createDecisionService(
  database: Database,
  config: Config,
  deps: {
    grants: GrantService;
    municipalities: MunicipalityService;
    /** A reviewer who declared a conflict of interest on the application is kept out of deciding it. */
    reviews: Pick<ReviewService, 'assertNotConflicted'>;
  },
) {
  const { db } = database;
  const mailContext = { publicUrl: config.mail.publicUrl, from: config.mail.from };

  /** The application and its round, for someone who may decide it (else 404 or 403). */
  async function toDecide(principal: Principal, id: number): Promise<{ application: ApplicationRow; round: RoundRow }> {
    // A draft is the applicant's alone: to staff it does not exist.
    const application = (await sentApplication(db, id))?.application;
    const round = application ? await findRound(db, application.roundId) : undefined;
    if (!application || !round) throw notFound('application', id);
    assertMayDecideApplication(principal, round.municipalityCode, id);
    if (principal.userId !== null) await deps.reviews.assertNotConflicted(id, principal.userId);
    return { application, round };
  }

  /** Why this application cannot be decided now, or nothing. */
  function decidable(application: ApplicationRow, version: number) {
    if (application.status === 'approved' || application.status === 'rejected') {
      throw new AppError('APPLICATION_ALREADY_DECIDED', 409, 'applications.decision.alreadyDecided', {
        details: { status: application.status, version: application.version },
      });
    }
    if (!isUndecided(application.status)) {
      throw new AppError('APPLICATION_NOT_SUBMITTED', 409, 'applications.decision.notSubmitted', {
        details: { status: application.status },
      });
    }
    if (application.version !== version) throw staleVersion('application', { version: application.version });
  }

  /** The grant an approval creates and awards, through the grant service's own rules: its id. */
  async function award(tx: Tx, principal: Principal, application: ApplicationRow, input: DecisionInput) {
    if (application.actorId === null) {
      throw new AppError('APPLICATION_ACTOR_REQUIRED', 409, 'applications.decision.actorRequired', {
        details: { id: application.id },
      });
    }
    if (input.awardedOre === undefined) {
      throw validationFailed({ awardedOre: ['applications.decision.amount.required'] });
    }
    const applied = application.appliedOre ?? 0;
    if (input.awardedOre > applied) {
      const message = `applications.decision.amount.overApplied?applied=${applied}`;
      throw validationFailed({ awardedOre: [message] }, message);
    }
    const grant = await deps.grants.applyIn(tx, principal, {
      roundId: application.roundId,
      actorId: application.actorId,
      title: application.projectTitle ?? `#${application.id}`,
      purpose: application.purpose,
      kind: 'money',
      requestedOre: applied,
      periodStart: input.periodStart === undefined ? application.periodFrom : input.periodStart,
      periodEnd: input.periodEnd === undefined ? application.periodTo : input.periodEnd,
    });
    await deps.grants.transitionIn(tx, principal, grant.id, {
      to: 'approved',
      version: grant.version,
      awardedOre: input.awardedOre,
      allocations: input.allocations ?? [],
      overrideBudget: input.overrideBudget,
      decisionOn: danishDate(),
    });
    return grant.id;
  }

  /** The mail with the decision, in the applicant's language, with a fresh link to the application. */
  async function mailDecision(tx: Tx, decided: ApplicationRow, round: RoundRow, municipality: string) {
    const token = newSecret();
    await insertLink(tx, decided.id, linkHash(token));
    const locale: Locale = decided.locale;
    const awarded = decided.grantId ? await awardOf(tx, decided.grantId) : undefined;
    await queueMail(tx, mailContext, {
      kind: decided.status === 'approved' ? 'application-approved' : 'application-rejected',
      to: decided.contactEmail,
      municipalityCode: round.municipalityCode,
      locale,
      data: {
        round: round.name,
        municipality,
        title: decided.projectTitle ?? '',
        number: decided.id,
        amount: awarded?.awardedOre ? formatMoney(awarded.awardedOre, locale) : '',
        meeting: decided.decisionMeeting ?? '',
        reasons: decided.decisionReasons ?? '',
        date: formatDate(decided.decidedAt, locale),
        link: `${config.mail.publicUrl}/public/applications/${token}`,
      },
    });
  }

  async function asDecided(application: ApplicationRow): Promise<DecidedApplication> {
    const award = application.grantId ? await awardOf(db, application.grantId) : undefined;
    return {
      id: application.id,
      roundId: application.roundId,
      status: application.status,
      actorId: application.actorId,
      grantId: application.grantId,
      appliedOre: application.appliedOre,
      awardedOre: award?.awardedOre ?? null,
      decidedAt: application.decidedAt?.toISOString() ?? null,
      decidedBy: application.decidedBy,
      decisionOn: award?.decisionOn ?? null,
      decisionMeeting: application.decisionMeeting,
      decisionReasons: application.decisionReasons,
      locale: application.locale,
      version: application.version,
    };
  }

  const service = {
    /** What the decision page shows: the application, its round, target groups and matched actor. */
    async forDecision(principal: Principal, id: number) {
      const { application, round } = await toDecide(principal, id);
      const [overview, targetGroups, actorName, award] = await Promise.all([
        deps.grants.getRound(round.id),
        targetGroupsOf(db, id),
        application.actorId ? actorNameOf(db, application.actorId) : undefined,
        application.grantId ? awardOf(db, application.grantId) : undefined,
      ]);
      return { application, round: overview, targetGroups, actorName, award };
    },

    /**
     * Decides an application from the version read: approval creates and awards its grant (refused
     * whole when the award is: nothing is written), rejection records it; both are audited and mailed
     * to the applicant. `rehearse` runs it all and rolls it back, for the confirmation page.
     */
    async decide(
      principal: Principal,
      id: number,
      input: DecisionInput,
      options: { rehearse?: boolean } = {},
    ): Promise<DecidedApplication> {
      const { round } = await toDecide(principal, id);
      // Read before the transaction: the reference cache reads on the database, not the transaction.
      const municipality = (await deps.municipalities.byCode()).get(round.municipalityCode)?.name ?? '';
      try {
        const decided = await db.transaction(async (tx) => {
          const current = (await sentApplication(tx, id, true))?.application;
          if (!current) throw notFound('application', id);
          decidable(current, input.version);
          const grantId = input.decision === 'approve' ? await award(tx, principal, current, input) : null;
          const after = await recordDecisionIfVersion(tx, id, input.version, {
            status: input.decision === 'approve' ? 'approved' : 'rejected',
            grantId,
            decidedBy: principal.userId as number,
            decisionMeeting: input.meeting,
            decisionReasons: input.reasons,
          });
          if (!after) throw staleVersion('application', { version: current.version });
          // By id only: the reasons stay on the application, which the retention job may erase.
          await recordAudit(tx, principal, {
            entity: 'application',
            entityId: id,
            action: after.status === 'approved' ? 'application_approved' : 'application_rejected',
            before: { status: current.status, version: current.version },
            after: { status: after.status, grantId, meeting: after.decisionMeeting, version: after.version },
          });
          await mailDecision(tx, after, round, municipality);
          if (options.rehearse) throw new Rehearsal();
          return after;
        });
        return asDecided(decided);
      } catch (err) {
        if (err instanceof Rehearsal) return asDecided((await sentApplication(db, id))?.application as ApplicationRow);
        throw err;
      }
    },

    /** The decision as the applicant's page shows it, or null while there is none. */
    async decisionForApplicant(application: ApplicationRow) {
      if (application.status !== 'approved' && application.status !== 'rejected') return null;
      const award = application.grantId ? await awardOf(db, application.grantId) : undefined;
      return {
        status: application.status,
        decidedAt: application.decidedAt,
        meeting: application.decisionMeeting,
        reasons: application.decisionReasons,
        awardedOre: award?.awardedOre ?? null,
        allocations: award?.allocations ?? [],
      };
    },
  };
  return service;
}

export type DecisionService = ReturnType<typeof createDecisionService>;
