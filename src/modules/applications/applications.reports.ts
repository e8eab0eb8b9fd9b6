/**
 * A grant's report sent by its applicant through the application's link (issue 21, reporting): what
 * was done, the participants reached per target group, the accounts and, at or above the grant's
 * threshold, the auditor's endorsement. Finance accepts it (the grant's report is then accounted as
 * the grant flow defines) or asks for more with a note, mailed with a fresh link. Every report is
 * kept; the application's latest is the one that counts. Knows nothing of HTTP.
 */
import type { Config } from '../../config.ts';
import type { Database, Queryable, Tx } from '../../db/client.ts';
import { danishDate } from '../../lib/dates.ts';
import { AppError, notFound, staleVersion, validationFailed } from '../../lib/errors.ts';
import { formatDate } from '../../lib/format.ts';
import { assertMayDecideApplicationReport, mayReadApplications } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { newSecret } from '../../lib/secrets.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import { findGrant } from '../grants/grants.repository.ts';
import type { Grant } from '../grants/grants.schemas.ts';
import type { GrantService } from '../grants/grants.service.ts';
import { queueMail } from '../mail/mail.compose.ts';
import type { MunicipalityService } from '../municipalities/municipalities.service.ts';
import type { ReviewService } from '../reviews/reviews.service.ts';
import { parentsUpFrom } from '../target-groups/target-groups.repository.ts';
import { documentContent, findDocument } from './applications.documents.repository.ts';
import {
  applicationOfGrant,
  decideReportIfVersion,
  insertReport,
  latestReport,
  linkPendingDocuments,
  type ReportRow,
  reachOf,
  reportDocumentsOf,
  reportsOf,
} from './applications.reports.repository.ts';
import {
  isReportDocumentKind,
  missingReportDocuments,
  type ReportSubmission,
  reachGroups,
  reportTakesSubmission,
} from './applications.reports.rules.ts';
import { type ApplicationRow, applicationByLink, insertLink, targetGroupsOf } from './applications.repository.ts';
import { applicantActor, linkHash } from './applications.rules.ts';

export function createApplicationReportService(
  database: Database,
  config: Config,
  deps: {
    grants: GrantService;
    municipalities: MunicipalityService;
    /** Whoever declared a conflict of interest on the application does not decide on its report. */
    reviews: Pick<ReviewService, 'assertNotConflicted'>;
  },
) {
  const db = database.db;
  const mailContext = { publicUrl: config.mail.publicUrl, from: config.mail.from };

  /** The target groups a report counts reach in: the grant's split, then the application's own groups. */
  async function reachGroupsOf(on: Queryable, application: ApplicationRow, grant: Grant): Promise<number[]> {
    const own = (await targetGroupsOf(on, application.id)).map((l) => l.targetGroupId);
    const listed = [...grant.allocations.map((a) => a.targetGroupId), ...own];
    return reachGroups(listed, await parentsUpFrom(on, listed));
  }

  /** Everything about an application's reports: each with its reach, and the report documents. */
  async function reportsWithParts(on: Queryable, application: ApplicationRow) {
    const [reports, documents] = await Promise.all([
      reportsOf(on, application.id),
      reportDocumentsOf(on, application.id),
    ]);
    const reach = await reachOf(
      on,
      reports.map((r) => r.id),
    );
    return {
      reports: reports.map((r) => ({
        ...r,
        reach: reach.filter((l) => l.reportId === r.id),
        documents: documents.filter((d) => d.reportId === r.id),
      })),
      /** Uploaded for the report not sent yet. */
      pending: documents.filter((d) => d.reportId === null),
    };
  }

  /** The application and grant behind a grant's page, for staff of the round's municipality; 404 for others. */
  async function forStaff(principal: Principal, grantId: number) {
    const grant = await deps.grants.getGrant(grantId);
    const application = await applicationOfGrant(db, grantId);
    if (!application || !mayReadApplications(principal, grant.municipalityCode))
      throw notFound('application_report', grantId);
    return { grant, application };
  }

  /**
   * The application and grant behind a grant's page, for finance or admin of the round's
   * municipality who declared no conflict of interest on the application (404, 403 otherwise).
   */
  async function toDecide(principal: Principal, grantId: number) {
    const found = await forStaff(principal, grantId);
    assertMayDecideApplicationReport(principal, found.grant.municipalityCode);
    if (principal.userId !== null) await deps.reviews.assertNotConflicted(found.application.id, principal.userId);
    return found;
  }

  /** The report finance answers: the application's latest, still waiting, at the version read. */
  async function reportToDecide(tx: Tx, application: ApplicationRow, reportId: number, version: number) {
    const latest = await latestReport(tx, application.id, true);
    if (!latest || latest.id !== reportId) throw notFound('application_report', reportId);
    if (latest.status !== 'submitted')
      throw new AppError('REPORT_DECIDED', 409, 'applications.report.alreadyDecided', {
        details: { status: latest.status },
      });
    if (latest.version !== version) throw staleVersion('application_report', { version: latest.version });
    return latest;
  }

  const audit = (tx: Tx, by: Principal, report: ReportRow, action: string, after: Record<string, unknown>) =>
    recordAudit(tx, by, { entity: 'application_report', entityId: report.id, action, after });

  return {
    /**
     * The report part of an application's link page: whether it takes a report now, the grant (due
     * date, whether an endorsement is needed), the groups to count reach in, and the reports sent.
     */
    async forApplicant(token: string) {
      const application = await applicationByLink(db, linkHash(token));
      if (!application) throw notFound('application', 'link');
      if (application.status !== 'approved' || application.grantId === null)
        throw notFound('application_report', 'link');
      const grant = await deps.grants.getGrant(application.grantId);
      const parts = await reportsWithParts(db, application);
      return {
        application,
        grant,
        groupIds: await reachGroupsOf(db, application, grant),
        open: reportTakesSubmission(application, parts.reports[0]),
        ...parts,
      };
    },

    /**
     * A report sent through the link, from the latest report the applicant saw (409 otherwise): its
     * reach in every one of the grant's groups, the report documents uploaded since the last report
     * linked to it, and the grant's report recorded as received through the grant flow, audited as
     * the applicant, in one transaction. Refused (400, beside the fields) without the accounts, or
     * without the auditor's endorsement when the grant needs one.
     */
    async submitByLink(token: string, input: ReportSubmission) {
      const found = await applicationByLink(db, linkHash(token));
      if (!found) throw notFound('application', 'link');
      if (found.grantId === null) throw notFound('application_report', 'link');
      // Read before the transaction: the grant service's reads go through the database, not the transaction.
      const grant = await deps.grants.getGrant(found.grantId);
      return db.transaction(async (tx) => {
        const application = await applicationByLink(tx, linkHash(token), true);
        if (!application || application.grantId !== grant.id) throw notFound('application', 'link');
        const latest = await latestReport(tx, application.id, true);
        if ((latest?.id ?? 0) !== input.previousId || (latest?.version ?? 0) !== input.version)
          throw staleVersion('application_report', { previousId: latest?.id ?? 0, version: latest?.version ?? 0 });
        if (!reportTakesSubmission(application, latest))
          throw new AppError('REPORT_NOT_OPEN', 409, 'applications.report.notOpen');
        const groups = await reachGroupsOf(tx, application, grant);
        const given = new Map(input.reach.map((l) => [l.targetGroupId, l.participants]));
        if (given.size !== input.reach.length || groups.some((g) => !given.has(g)) || given.size !== groups.length)
          throw validationFailed({ reach: ['applications.report.reachGroups'] });
        const sent = (await reportDocumentsOf(tx, application.id)).map((d) => d.kind);
        const missing = missingReportDocuments(sent, grant.auditorEndorsementRequired);
        if (Object.keys(missing).length) throw validationFailed(missing, 'applications.report.documentsMissing');
        const report = await insertReport(
          tx,
          { applicationId: application.id, grantId: grant.id, whatWasDone: input.whatWasDone },
          input.reach,
        );
        const linked = await linkPendingDocuments(tx, application.id, report.id);
        const by = applicantActor(grant.municipalityCode);
        await deps.grants.recordReport(tx, by, grant.id, { receivedOn: danishDate() });
        await audit(tx, by, report, 'application_report_submitted', {
          applicationId: application.id,
          grantId: grant.id,
          reach: input.reach,
          documentIds: linked.map((d) => d.id),
        });
        return report;
      });
    },

    /** A grant's applicant reports, for finance on the grant's report page; null when no application made the grant. */
    async forGrant(principal: Principal, grantId: number) {
      const { grant, application } = await forStaff(principal, grantId);
      return { grant, application, ...(await reportsWithParts(db, application)) };
    },

    /** Whether a grant came from an application (the grant page links to its report page then). */
    async grantHasApplication(principal: Principal, grantId: number, municipalityCode: number) {
      if (!mayReadApplications(principal, municipalityCode)) return false;
      return (await applicationOfGrant(db, grantId)) !== undefined;
    },

    /**
     * Finance accepts the latest report: the grant's report is recorded as received, with the
     * auditor's endorsement when one was sent, and a paid grant moves on to accounted through the
     * grant flow's own step (one not yet paid is marked accounted from its page once it is).
     */
    async accept(principal: Principal, grantId: number, decision: { reportId: number; version: number }) {
      const { grant, application } = await toDecide(principal, grantId);
      await db.transaction(async (tx) => {
        const report = await reportToDecide(tx, application, decision.reportId, decision.version);
        // The grant as it is now, locked: finance may have moved it on from its page meanwhile.
        const now = await findGrant(tx, grant.id, true);
        if (!now) throw notFound('grant', grant.id);
        const kinds = (await reportDocumentsOf(tx, application.id)).map((d) => d.kind);
        const after = await decideReportIfVersion(tx, report.id, report.version, {
          status: 'accepted',
          financeNote: null,
          decidedBy: principal.userId ?? 0,
        });
        if (!after) throw staleVersion('application_report', { version: report.version });
        // Refused (409) unless the grant is approved or paid.
        await deps.grants.recordReport(tx, principal, grant.id, {
          receivedOn: now.reportReceivedOn ?? danishDate(),
          endorsed: now.auditorEndorsed || kinds.includes('auditor_endorsement'),
        });
        await audit(tx, principal, report, 'application_report_accepted', { status: after.status });
        if (now.status === 'paid') {
          const version = (await findGrant(tx, grant.id))?.version ?? now.version;
          await deps.grants.transition(principal, grant.id, { to: 'accounted', version }, tx);
        }
      });
    },

    /**
     * Finance asks for more: the note is kept on the report, the grant's report is no longer
     * received (its reminders count again), and the applicant gets the note by mail in their
     * language with a fresh link (a new token; only its hash is stored).
     */
    async requestMore(
      principal: Principal,
      grantId: number,
      request: { reportId: number; version: number; note: string },
    ) {
      const { grant, application } = await toDecide(principal, grantId);
      const municipality = (await deps.municipalities.byCode()).get(grant.municipalityCode)?.name ?? '';
      const token = newSecret();
      await db.transaction(async (tx) => {
        const report = await reportToDecide(tx, application, request.reportId, request.version);
        const after = await decideReportIfVersion(tx, report.id, report.version, {
          status: 'more_requested',
          financeNote: request.note,
          decidedBy: principal.userId ?? 0,
        });
        if (!after) throw staleVersion('application_report', { version: report.version });
        // Refused (409) unless the grant is approved or paid: an accounted grant keeps its report.
        await deps.grants.recordReport(tx, principal, grant.id, { receivedOn: null });
        await insertLink(tx, application.id, linkHash(token));
        await queueMail(tx, mailContext, {
          kind: 'application-report-more',
          to: application.contactEmail,
          municipalityCode: grant.municipalityCode,
          locale: application.locale,
          data: {
            municipality,
            title: application.projectTitle ?? grant.title,
            number: application.id,
            note: request.note,
            // The due date only while it is ahead: a date already past would read as a deadline missed.
            date: grant.reportDueOn > danishDate() ? formatDate(grant.reportDueOn, application.locale) : '',
            link: `${config.mail.publicUrl}/public/applications/${token}/report`,
          },
        });
        // The note goes to the applicant and is kept on the report; the audit trail holds ids only.
        await audit(tx, principal, report, 'application_report_more_requested', { status: after.status });
      });
    },

    /** A report document for staff of the round's municipality, and its content as pieces; 404 otherwise. */
    async openDocument(principal: Principal, grantId: number, documentId: number) {
      const { application } = await forStaff(principal, grantId);
      const document = await findDocument(db, application.id, documentId);
      if (!document || !isReportDocumentKind(document.kind)) throw notFound('application_document', documentId);
      return { document, content: documentContent(db, document.id) };
    },
  };
}

export type ApplicationReportService = ReturnType<typeof createApplicationReportService>;
