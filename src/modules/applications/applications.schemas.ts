import { z } from 'zod';
import { parseDanishDate } from '../../lib/dates.ts';
import { notFound } from '../../lib/errors.ts';
import { rowId } from '../../lib/ids.ts';
import { kronerInput } from '../../lib/money.ts';
import { cvrSchema, phone } from '../actors/actors.schemas.ts';
import { municipalityCode } from '../municipalities/municipalities.schemas.ts';
import { reportDocumentKinds } from './applications.reports.rules.ts';

/**
 * The application form (issue 21), one schema for the form and the service. A draft may leave out
 * anything but the e-mail address the link goes to; submitting needs it all (applicationSubmission).
 * Amounts are typed in kroner and come out as integer øre; dates as Danes type them (1.3.2027).
 */
const applicantKinds = ['organisation', 'informal_group'] as const;
export const documentKinds = ['statutes', 'budget', 'annual_accounts', 'other'] as const;
/** The version of the privacy text (i18n `applications.privacy.text`) an applicant consents to. */
export const PRIVACY_TEXT_VERSION = '2026-12';

const text = (max: number) => z.string().trim().min(1).max(max);
const kroner = kronerInput.refine((oere) => oere >= 0, 'applications.amount.negative');
const danishDay = z.string().transform((value, ctx) => {
  const iso = parseDanishDate(value);
  if (iso === undefined) {
    ctx.addIssue({ code: 'custom', message: 'applications.date.invalid' });
    return z.NEVER;
  }
  return iso;
});

const budgetLineInput = z.object({
  text: text(300),
  amount: kroner,
});

const targetGroupLineInput = z.object({
  targetGroupId: rowId,
  expectedParticipants: z.number().int().min(0).max(10_000_000).optional(),
});

const applicationFields = z.object({
  applicantKind: z.enum(applicantKinds).optional(),
  organisationName: text(300).optional(),
  cvr: cvrSchema.optional(),
  groupName: text(300).optional(),
  responsibleName: text(200).optional(),
  coSignerName: text(200).optional(),
  contactName: text(200).optional(),
  contactEmail: z.email().max(320),
  contactPhone: phone.optional(),
  projectTitle: text(300).optional(),
  purpose: text(10_000).optional(),
  targetGroups: z.array(targetGroupLineInput).max(60),
  municipalityCodes: z.array(municipalityCode).max(98),
  periodFrom: danishDay.optional(),
  periodTo: danishDay.optional(),
  budgetLines: z.array(budgetLineInput).max(50),
  ownFinancing: kroner.optional(),
  otherFunding: kroner.optional(),
  applied: kroner.optional(),
  bankRegNo: z
    .string()
    .transform((s) => s.replace(/\s+/g, ''))
    .pipe(z.string().regex(/^\d{4}$/, 'applications.bank.regNo'))
    .optional(),
  bankAccountNo: z
    .string()
    .transform((s) => s.replace(/[\s-]+/g, ''))
    .pipe(z.string().regex(/^\d{1,10}$/, 'applications.bank.accountNo'))
    .optional(),
  consent: z.boolean(),
});

export type ApplicationInput = z.output<typeof applicationFields>;

/** What must be given before an application can be sent, beyond what a draft needs. */
function requireForSubmission(a: ApplicationInput, ctx: z.RefinementCtx) {
  const need = (field: keyof ApplicationInput, message = 'validation.required') => {
    const v = a[field];
    if (v === undefined || (Array.isArray(v) && v.length === 0))
      ctx.addIssue({ code: 'custom', path: [field], message });
  };
  need('applicantKind', 'applications.kind.required');
  if (a.applicantKind === 'organisation') {
    need('organisationName');
    need('cvr', 'applications.cvr.required');
  } else if (a.applicantKind === 'informal_group') {
    need('groupName');
    need('responsibleName');
  }
  for (const field of ['contactName', 'contactPhone', 'projectTitle', 'purpose', 'periodFrom', 'periodTo'] as const)
    need(field);
  need('targetGroups', 'applications.targetGroups.required');
  need('municipalityCodes', 'applications.municipalities.required');
  need('budgetLines', 'applications.budget.required');
  need('applied');
  need('bankRegNo');
  need('bankAccountNo');
  if (!a.consent) ctx.addIssue({ code: 'custom', path: ['consent'], message: 'applications.consent.required' });
}

/** Checks that hold for a draft as for a submission: a period that ends before it begins, say. */
function checkConsistency(a: ApplicationInput, ctx: z.RefinementCtx) {
  if (a.periodFrom && a.periodTo && a.periodTo < a.periodFrom)
    ctx.addIssue({ code: 'custom', path: ['periodTo'], message: 'applications.period.order' });
  const seen = new Set<number>();
  a.targetGroups.forEach((line, i) => {
    if (seen.has(line.targetGroupId))
      ctx.addIssue({
        code: 'custom',
        path: ['targetGroups', i, 'targetGroupId'],
        message: 'applications.targetGroups.twice',
      });
    seen.add(line.targetGroupId);
  });
}

export const applicationDraft = applicationFields.superRefine(checkConsistency);
export const applicationSubmission = applicationFields.superRefine((a, ctx) => {
  checkConsistency(a, ctx);
  requireForSubmission(a, ctx);
});

/** A form's intent: its two buttons. */
export const intentInput = z.object({ intent: z.enum(['draft', 'submit']).catch('draft') });

/** A document's kind: the application's own, or one sent with a report (applications.reports.rules.ts). */
export const documentInput = z.object({ kind: z.enum([...documentKinds, ...reportDocumentKinds]) });

/** A link's token as it appears in its address. */
const linkToken = z.string().regex(/^[\w-]{20,100}$/);

/** The token of a link's address; anything else is a page that does not exist. */
export function tokenFrom(params: unknown): string {
  const parsed = linkToken.safeParse((params as Record<string, unknown> | undefined)?.token);
  if (!parsed.success) throw notFound('application', 'link');
  return parsed.data;
}
