/**
 * The services, one per module, built over one database: each knows nothing of HTTP, and the
 * routes reach them as app.services. Some take others (the inbox the actors and grants, the
 * decision the grants and the reviews; the questions, inbox and report flow the reviews too, for
 * conflicts of interest: the reviews are built first).
 */
import type { Config } from './config.ts';
import type { Database } from './db/client.ts';
import { type AccountService, createAccountService } from './modules/accounts/accounts.service.ts';
import { type ActorMergeService, createActorMergeService } from './modules/actors/actors.merge.ts';
import { type ActorService, createActorService } from './modules/actors/actors.service.ts';
import { type AgreementService, createAgreementService } from './modules/agreements/agreements.service.ts';
import { createDecisionService, type DecisionService } from './modules/applications/applications.decision.ts';
import {
  type ApplicationInboxService,
  createApplicationInboxService,
} from './modules/applications/applications.inbox.ts';
import { createQuestionService, type QuestionService } from './modules/applications/applications.questions.ts';
import {
  type ApplicationReportService,
  createApplicationReportService,
} from './modules/applications/applications.reports.ts';
import { createRetentionService, type RetentionService } from './modules/applications/applications.retention.ts';
import { type ApplicationService, createApplicationService } from './modules/applications/applications.service.ts';
import { type AuditService, createAuditService } from './modules/audit/audit.service.ts';
import { type CalendarService, createCalendarService } from './modules/calendar/calendar.service.ts';
import { createFollowUpService, type FollowUpService } from './modules/follow-up/follow-up.service.ts';
import { createGrantService, type GrantService } from './modules/grants/grants.service.ts';
import { createHealthService, type HealthService } from './modules/health/health.service.ts';
import { createImportService, type ImportService } from './modules/imports/imports.service.ts';
import { createDigestService, type DigestService } from './modules/mail/digests.service.ts';
import { createMailService, type MailService } from './modules/mail/mail.service.ts';
import {
  createMunicipalityService,
  type MunicipalityService,
} from './modules/municipalities/municipalities.service.ts';
import {
  createNeedEstimateService,
  type NeedEstimateService,
} from './modules/need-estimates/need-estimates.service.ts';
import { createOutreachService, type OutreachService } from './modules/outreach/outreach.service.ts';
import { createPublicService, type PublicService } from './modules/public/public.service.ts';
import { createReportService, type ReportService } from './modules/reports/reports.service.ts';
import { createReviewService, type ReviewService } from './modules/reviews/reviews.service.ts';
import { createTargetGroupService, type TargetGroupService } from './modules/target-groups/target-groups.service.ts';

export interface Services {
  accounts: AccountService;
  audit: AuditService;
  grants: GrantService;
  municipalities: MunicipalityService;
  targetGroups: TargetGroupService;
  actors: ActorService;
  agreements: AgreementService;
  followUp: FollowUpService;
  needEstimates: NeedEstimateService;
  reports: ReportService;
  outreach: OutreachService;
  calendar: CalendarService;
  actorMerges: ActorMergeService;
  imports: ImportService;
  health: HealthService;
  mail: MailService;
  digests: DigestService;
  applications: ApplicationService;
  applicationQuestions: QuestionService;
  applicationRetention: RetentionService;
  applicationInbox: ApplicationInboxService;
  applicationDecisions: DecisionService;
  applicationReports: ApplicationReportService;
  publicRounds: PublicService;
  reviews: ReviewService;
}

export function createServices(database: Database, config: Config): Services {
  const municipalities = createMunicipalityService(database);
  const targetGroups = createTargetGroupService(database, municipalities);
  const outreach = createOutreachService(database.db);
  const followUp = createFollowUpService(database);
  const actors = createActorService(database.db, municipalities);
  const grants = createGrantService(database, config);
  const reviews = createReviewService(database, { targetGroups });
  return {
    accounts: createAccountService(database.db, config, municipalities),
    audit: createAuditService(database.db),
    grants,
    municipalities,
    targetGroups,
    actors,
    agreements: createAgreementService(database),
    followUp,
    needEstimates: createNeedEstimateService(database.db, targetGroups),
    reports: createReportService(database, municipalities),
    outreach,
    calendar: createCalendarService(database, outreach),
    actorMerges: createActorMergeService(database),
    imports: createImportService(database, municipalities),
    health: createHealthService(database.db),
    mail: createMailService(database.db, config),
    digests: createDigestService(database.db, config, followUp),
    applications: createApplicationService(database, config, { targetGroups, municipalities }),
    applicationQuestions: createQuestionService(database, config, { municipalities, reviews }),
    applicationRetention: createRetentionService(database, config),
    applicationInbox: createApplicationInboxService(database, { actors, grants, reviews }),
    applicationDecisions: createDecisionService(database, config, { grants, municipalities, reviews }),
    applicationReports: createApplicationReportService(database, config, { grants, municipalities, reviews }),
    publicRounds: createPublicService(database, municipalities, targetGroups),
    reviews,
  };
}
