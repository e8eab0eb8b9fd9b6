/**
 * The rules around an application that need no database (when a round takes applications is the
 * grants module's `roundTakesApplications`): what a form's values become as columns, and the audit trail's actor for what an applicant does.
 */
import { formatDate } from '../../lib/format.ts';
import { oereAsDecimal } from '../../lib/money.ts';
import { sha256 } from '../../lib/secrets.ts';
import type { ApplicationRow, ApplicationValues } from './applications.repository.ts';
import { type ApplicationInput, PRIVACY_TEXT_VERSION } from './applications.schemas.ts';

/** How a link's token is stored: only its hash. */
export const linkHash = (token: string) => sha256(`application-link:${token}`);

/** At most this many bytes a document, and this many an application's documents together (issue 21). */
export const DOCUMENT_MAX_BYTES = 10 * 1024 * 1024;
export const APPLICATION_DOCUMENTS_MAX_BYTES = 30 * 1024 * 1024;

/** The audit trail's actor for an applicant: no user, the round's municipality (whose staff see it). */
export const applicantActor = (municipalityCode: number) => ({
  userId: null,
  municipalityCode,
  role: null,
  name: 'applicant',
});

/** The columns of an application from the form's values; what belongs to the other kind is dropped. */
export function applicationValues(input: ApplicationInput, now: Date): ApplicationValues {
  const organisation = input.applicantKind !== 'informal_group';
  return {
    applicantKind: input.applicantKind ?? 'organisation',
    organisationName: organisation ? (input.organisationName ?? null) : null,
    cvr: organisation ? (input.cvr ?? null) : null,
    groupName: organisation ? null : (input.groupName ?? null),
    responsibleName: organisation ? null : (input.responsibleName ?? null),
    coSignerName: organisation ? null : (input.coSignerName ?? null),
    contactName: input.contactName ?? null,
    contactEmail: input.contactEmail,
    contactPhone: input.contactPhone ?? null,
    projectTitle: input.projectTitle ?? null,
    purpose: input.purpose ?? null,
    municipalityCodes: [...new Set(input.municipalityCodes)],
    periodFrom: input.periodFrom ?? null,
    periodTo: input.periodTo ?? null,
    budgetLines: input.budgetLines.map((l) => ({ text: l.text, amountOre: l.amount })),
    ownFinancingOre: input.ownFinancing ?? null,
    otherFundingOre: input.otherFunding ?? null,
    appliedOre: input.applied ?? null,
    bankRegNo: input.bankRegNo ?? null,
    bankAccountNo: input.bankAccountNo ?? null,
    consentAt: input.consent ? now : null,
    privacyTextVersion: input.consent ? PRIVACY_TEXT_VERSION : null,
  };
}

/** An application as the form shows it again: amounts in kroner, dates as typed in Danish. */
export function formValuesOf(
  a: ApplicationRow,
  lines: { targetGroupId: number; expectedParticipants: number | null }[],
): Record<string, unknown> {
  const kroner = oereAsDecimal;
  const day = (iso: string) => formatDate(iso, 'da');
  const money = (v: number | null) => (v === null ? '' : kroner(v));
  return {
    ...a,
    cvr: a.cvr ?? '',
    periodFrom: a.periodFrom ? day(a.periodFrom) : '',
    periodTo: a.periodTo ? day(a.periodTo) : '',
    ownFinancing: money(a.ownFinancingOre),
    otherFunding: money(a.otherFundingOre),
    applied: money(a.appliedOre),
    municipalityCodes: a.municipalityCodes.map(String),
    budgetLines: a.budgetLines.map((l) => ({ text: l.text, amount: kroner(l.amountOre) })),
    targetGroups: lines.map((l) => ({
      targetGroupId: String(l.targetGroupId),
      expectedParticipants: l.expectedParticipants ?? '',
    })),
    consent: a.consentAt !== null,
  };
}

/** Sent and not yet decided: what may still be reviewed, asked about, matched and decided. */
export const UNDECIDED_STATUSES = ['submitted', 'under_review'] as const;

const undecided: ReadonlySet<string> = new Set(UNDECIDED_STATUSES);

/** Whether an application in this status is sent and not yet decided. */
export const isUndecided = (status: string): boolean => undecided.has(status);
