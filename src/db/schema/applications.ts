import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  check,
  customType,
  date,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  serial,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { MAX_OERE } from '../../lib/money.ts';
import { users } from './accounts.ts';
import { actors } from './actors.ts';
import { grantRounds, grants } from './grants.ts';
import { targetGroups } from './reference.ts';

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v)),
});
const oere = (name: string) => bigint(name, { mode: 'number' });
const maxOre = sql.raw(String(MAX_OERE));

/**
 * An application's way: a draft the applicant may still change; submitted (new in the staff inbox);
 * under review; then approved (a grant exists) or rejected. New values are added by migration: no
 * migration may use a value in the same run that adds it (the migrator runs in one transaction).
 */
export const applicationStatusEnum = pgEnum('application_status', [
  'draft',
  'submitted',
  'under_review',
  'approved',
  'rejected',
]);
export const applicantKindEnum = pgEnum('applicant_kind', ['organisation', 'informal_group']);
export const applicationDocumentKindEnum = pgEnum('application_document_kind', [
  'statutes',
  'budget',
  'annual_accounts',
  'other',
  /** The accounts sent with a report through the link. */
  'report_accounts',
  /** The auditor's endorsement of a report, when the grant is at or above the threshold. */
  'auditor_endorsement',
]);

/**
 * Who applies, as Samspil knows them. Today an applicant is an e-mail address, proven by the secret
 * link mailed to it (application_links). MitID Erhverv adds columns here (the broker's subject and
 * the CVR it vouches for) and a way to sign in that resolves to the same row: applications already
 * belong to an applicant, not to an address (see docs/applications.md).
 */
export const applicants = pgTable(
  'applicants',
  {
    id: serial('id').primaryKey(),
    /** How the applicant proved who they are: a link by e-mail; 'mitid_erhverv' comes later. */
    identity: text('identity', { enum: ['email_link'] })
      .notNull()
      .default('email_link'),
    email: text('email').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('applicants_email_uq').on(t.identity, sql`lower(${t.email})`)],
);

/** One budget line of an application: what the money goes to, in øre. */
export interface BudgetLine {
  text: string;
  amountOre: number;
}

/** An application for a § 18 round, sent by civil society itself (issue 21). Money is integer øre. */
export const applications = pgTable(
  'applications',
  {
    id: serial('id').primaryKey(),
    roundId: integer('round_id')
      .notNull()
      .references(() => grantRounds.id),
    applicantId: integer('applicant_id')
      .notNull()
      .references(() => applicants.id),
    status: applicationStatusEnum('status').notNull().default('draft'),
    applicantKind: applicantKindEnum('applicant_kind').notNull().default('organisation'),
    organisationName: text('organisation_name'),
    cvr: text('cvr'),
    groupName: text('group_name'),
    responsibleName: text('responsible_name'),
    coSignerName: text('co_signer_name'),
    contactName: text('contact_name'),
    contactEmail: text('contact_email').notNull(),
    contactPhone: text('contact_phone'),
    projectTitle: text('project_title'),
    purpose: text('purpose'),
    /** Where the activity takes place: municipality codes (checked against municipalities on write). */
    municipalityCodes: smallint('municipality_codes').array().notNull().default(sql`'{}'::smallint[]`),
    periodFrom: date('period_from'),
    periodTo: date('period_to'),
    budgetLines: jsonb('budget_lines').$type<BudgetLine[]>().notNull().default([]),
    ownFinancingOre: oere('own_financing_ore'),
    otherFundingOre: oere('other_funding_ore'),
    appliedOre: oere('applied_ore'),
    bankRegNo: text('bank_reg_no'),
    bankAccountNo: text('bank_account_no'),
    consentAt: timestamp('consent_at', { withTimezone: true }),
    /** Which version of the privacy text the applicant consented to. */
    privacyTextVersion: text('privacy_text_version'),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    submittedAt: timestamp('submitted_at', { withTimezone: true }),
    /** The registry's actor the application is matched to: set when staff confirm a match or create it. */
    actorId: integer('actor_id').references(() => actors.id),
    /** The grant an approval created (the existing grant flow takes over from there). */
    grantId: integer('grant_id').references(() => grants.id),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    decidedBy: integer('decided_by').references(() => users.id),
    /** The meeting that decided, as the minutes name it (e.g. "Socialudvalget 12. marts 2027"). */
    decisionMeeting: text('decision_meeting'),
    /** The reasons, sent to the applicant with the decision. */
    decisionReasons: text('decision_reasons'),
    /** The language the applicant wrote in (set on every save); every later mail to them uses it. */
    locale: text('locale', { enum: ['da', 'en'] })
      .notNull()
      .default('da'),
    /** When the retention job erased the applicant's personal data from this application. */
    erasedAt: timestamp('erased_at', { withTimezone: true }),
  },
  (t) => [
    index('applications_round_idx').on(t.roundId, t.status),
    index('applications_applicant_idx').on(t.applicantId),
    uniqueIndex('applications_grant_uq').on(t.grantId),
    check('applications_cvr_ck', sql`${t.cvr} is null or ${t.cvr} ~ '^[0-9]{8}$'`),
    check(
      'applications_bank_ck',
      sql`(${t.bankRegNo} is null or ${t.bankRegNo} ~ '^[0-9]{4}$')
      and (${t.bankAccountNo} is null or ${t.bankAccountNo} ~ '^[0-9]{1,10}$')`,
    ),
    check(
      'applications_amounts_ck',
      sql`coalesce(${t.appliedOre}, 0) between 0 and ${maxOre}
      and coalesce(${t.ownFinancingOre}, 0) between 0 and ${maxOre}
      and coalesce(${t.otherFundingOre}, 0) between 0 and ${maxOre}`,
    ),
    check(
      'applications_period_ck',
      sql`${t.periodFrom} is null or ${t.periodTo} is null or ${t.periodFrom} <= ${t.periodTo}`,
    ),
    check(
      'applications_decided_ck',
      sql`(${t.decidedAt} is null) = (${t.decidedBy} is null)
      and (${t.grantId} is null or ${t.decidedAt} is not null)`,
    ),
    check(
      'applications_submitted_ck',
      sql`${t.status} = 'draft' or (${t.submittedAt} is not null and ${t.consentAt} is not null)`,
    ),
  ],
);

/** The FFB target groups an application names, with the expected number of participants in each. */
export const applicationTargetGroups = pgTable(
  'application_target_groups',
  {
    applicationId: integer('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    targetGroupId: integer('target_group_id')
      .notNull()
      .references(() => targetGroups.id),
    expectedParticipants: integer('expected_participants'),
  },
  (t) => [
    primaryKey({ columns: [t.applicationId, t.targetGroupId] }),
    check(
      'application_target_groups_participants_ck',
      sql`${t.expectedParticipants} is null or ${t.expectedParticipants} >= 0`,
    ),
  ],
);

/** The secret link to an application: only a hash of its token is stored. */
export const applicationLinks = pgTable(
  'application_links',
  {
    tokenHash: text('token_hash').primaryKey(),
    applicationId: integer('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  },
  (t) => [index('application_links_application_idx').on(t.applicationId)],
);

/** A document attached to an application; its content is in application_document_chunks. */
export const applicationDocuments = pgTable(
  'application_documents',
  {
    id: serial('id').primaryKey(),
    applicationId: integer('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    kind: applicationDocumentKindEnum('kind').notNull(),
    fileName: text('file_name').notNull(),
    /** The type read from the content (magic bytes), never the one the browser claimed. */
    mediaType: text('media_type').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * The report a report document was sent with. Null for an application's own documents, and for
     * a report document uploaded for the report not yet sent.
     */
    reportId: integer('report_id').references((): AnyPgColumn => applicationReports.id, { onDelete: 'set null' }),
  },
  (t) => [
    index('application_documents_application_idx').on(t.applicationId),
    index('application_documents_report_idx').on(t.reportId).where(sql`${t.reportId} is not null`),
    check('application_documents_size_ck', sql`${t.sizeBytes} > 0`),
  ],
);

/** A document's content in pieces of 256 KB, so neither upload nor download holds a whole file. */
export const applicationDocumentChunks = pgTable(
  'application_document_chunks',
  {
    documentId: integer('document_id')
      .notNull()
      .references(() => applicationDocuments.id, { onDelete: 'cascade' }),
    n: integer('n').notNull(),
    data: bytea('data').notNull(),
  },
  (t) => [primaryKey({ columns: [t.documentId, t.n] })],
);

/**
 * A report's way: sent by the applicant through the link; then accepted by finance, or sent back
 * with a note (more requested), after which the applicant sends a new one. Every one is kept; the
 * latest of an application is the one that counts.
 */
export const applicationReportStatusEnum = pgEnum('application_report_status', [
  'submitted',
  'accepted',
  'more_requested',
]);

/** A grant's report sent by the applicant through the application's link (issue 21, reporting). */
export const applicationReports = pgTable(
  'application_reports',
  {
    id: serial('id').primaryKey(),
    applicationId: integer('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    grantId: integer('grant_id')
      .notNull()
      .references(() => grants.id),
    /** What was done with the money, in the applicant's words. */
    whatWasDone: text('what_was_done').notNull(),
    status: applicationReportStatusEnum('status').notNull().default('submitted'),
    submittedAt: timestamp('submitted_at', { withTimezone: true }).notNull().defaultNow(),
    /** Finance's note: what more they ask for (sent to the applicant), or a remark on accepting. */
    financeNote: text('finance_note'),
    decidedBy: integer('decided_by').references(() => users.id),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    index('application_reports_application_idx').on(t.applicationId, t.id),
    index('application_reports_grant_idx').on(t.grantId, t.status),
    check(
      'application_reports_decided_ck',
      sql`(${t.status} = 'submitted') = (${t.decidedAt} is null) and (${t.decidedAt} is null) = (${t.decidedBy} is null)`,
    ),
  ],
);

/** The participants a report says the project reached, per target group. */
export const applicationReportReach = pgTable(
  'application_report_reach',
  {
    reportId: integer('report_id')
      .notNull()
      .references(() => applicationReports.id, { onDelete: 'cascade' }),
    targetGroupId: integer('target_group_id')
      .notNull()
      .references(() => targetGroups.id),
    participants: integer('participants').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.reportId, t.targetGroupId] }),
    index('application_report_reach_group_idx').on(t.targetGroupId),
    check('application_report_reach_participants_ck', sql`${t.participants} >= 0`),
  ],
);
