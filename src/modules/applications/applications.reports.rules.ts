import { z } from 'zod';
import { MAX_ROW_ID, rowId, rowVersion } from '../../lib/ids.ts';

/**
 * The report a grant's applicant sends through the application's link (issue 21, reporting): the
 * form's one schema, and the rules that need no database.
 */

/** The document kinds sent with a report: the accounts (always) and the auditor's endorsement. */
export const reportDocumentKinds = ['report_accounts', 'auditor_endorsement'] as const;
export type ReportDocumentKind = (typeof reportDocumentKinds)[number];
export const isReportDocumentKind = (kind: string): kind is ReportDocumentKind =>
  (reportDocumentKinds as readonly string[]).includes(kind);

export type ReportStatus = 'submitted' | 'accepted' | 'more_requested';

/**
 * Does the application take a report now? Once approved with a grant, while no report is waiting
 * for finance or accepted: before the first, and after finance asked for more.
 */
export function reportTakesSubmission(
  application: { status: string; grantId: number | null },
  latest: { status: ReportStatus } | undefined,
): boolean {
  return (
    application.status === 'approved' &&
    application.grantId !== null &&
    (latest === undefined || latest.status === 'more_requested')
  );
}

/**
 * The report's documents that are still missing: the accounts always, and the auditor's
 * endorsement when the grant needs one (the grant's own rule: auditorEndorsementRequired).
 */
export function missingReportDocuments(
  kinds: readonly string[],
  endorsementRequired: boolean,
): Record<string, string[]> {
  const missing: Record<string, string[]> = {};
  if (!kinds.includes('report_accounts')) missing.documents = ['applications.report.accountsMissing'];
  if (endorsementRequired && !kinds.includes('auditor_endorsement'))
    missing.endorsement = ['applications.report.endorsementMissing'];
  return missing;
}

/**
 * The target groups a report counts reach in, from those listed (the grant's split, then the
 * application's own groups): a group that lies above another listed group is left out, so people
 * are counted once, in the most specific group (the proportionality report rolls them up the tree;
 * entered at both, they would count twice at the ancestor). `parentOf` holds the parent of every
 * listed group and of every group above them (null for a root).
 */
export function reachGroups(listed: readonly number[], parentOf: ReadonlyMap<number, number | null>): number[] {
  const above = new Set<number>();
  for (const group of listed) {
    const seen = new Set<number>([group]);
    for (let p = parentOf.get(group) ?? null; p !== null && !seen.has(p); p = parentOf.get(p) ?? null) {
      above.add(p);
      seen.add(p);
    }
  }
  return [...new Set(listed)].filter((g) => !above.has(g));
}

/**
 * The report form and the service's input: what was done, and the participants reached in each of
 * the grant's target groups. `previousId` and `version` name the latest report the applicant saw
 * (0 and 0 for none), so a report sent twice, or after finance answered, is refused as stale.
 */
export const reportSubmission = z.object({
  whatWasDone: z.string().trim().min(1).max(10_000),
  reach: z
    .array(z.object({ targetGroupId: rowId, participants: z.number().int().min(0).max(10_000_000) }))
    .min(1)
    .max(60),
  previousId: z.number().int().min(0).max(MAX_ROW_ID).default(0),
  version: z.number().int().min(0).max(MAX_ROW_ID).default(0),
});
export type ReportSubmission = z.infer<typeof reportSubmission>;

/** Finance's answer to a report: the report and version read, and for "more", the note to the applicant. */
export const reportDecision = z.object({
  reportId: rowId,
  version: rowVersion,
});
export const moreRequest = reportDecision.extend({ note: z.string().trim().min(1).max(5_000) });
