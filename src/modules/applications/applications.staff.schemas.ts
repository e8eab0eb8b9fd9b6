import { z } from 'zod';
import { rowId, rowIdParam, rowVersion } from '../../lib/ids.ts';
import { pageQuery } from '../../lib/pagination.ts';
import { dateOut, dateTimeOut } from '../../plugins/api-schemas.ts';
import { actorRoles, orgTypes } from '../actors/actors.schemas.ts';
import type { StaffStatus } from './applications.staff.repository.ts';

/**
 * The staff side of applications (issue 21): the round's inbox in three tabs, the forms on an
 * application's page, and the JSON API's query and answers. One schema for a form and the service.
 */
export const inboxTabs = ['new', 'review', 'decided'] as const;
export type InboxTab = (typeof inboxTabs)[number];

/** The statuses each tab shows: new (sent), under review, decided. */
export const tabStatuses: Record<InboxTab, StaffStatus[]> = {
  new: ['submitted'],
  review: ['under_review'],
  decided: ['approved', 'rejected'],
};

/** Applications a page of the inbox shows. */
export const INBOX_PAGE_SIZE = 50;

export const inboxQuery = z.object({
  tab: z.enum(inboxTabs).catch('new'),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
});

/** Confirms an actor of the registry as the applicant. */
export const confirmActorForm = z.object({ version: rowVersion, actorId: rowId });
export type ConfirmActorInput = z.infer<typeof confirmActorForm>;

/**
 * Creates the applicant as an actor: its roles chosen by staff; the rest comes from the application
 * (an informal group by its group name, never a person's). `allowSimilar` as on the actor form.
 */
export const createActorForm = z.object({
  version: rowVersion,
  orgType: z.enum(orgTypes).optional(),
  roles: z
    .array(z.enum(actorRoles))
    .min(1, 'actor.roles.required')
    .max(3)
    .refine((r) => new Set(r).size === r.length, 'actor.roles.unique'),
  underServiceAct: z.boolean().optional(),
  allowSimilar: z.boolean().optional(),
});
export type CreateActorInput = z.infer<typeof createActorForm>;

export const startReviewForm = z.object({ version: rowVersion });

// ---- the JSON API ------------------------------------------------------------------------------

const staffStatuses = ['submitted', 'under_review', 'approved', 'rejected'] as const;

export const applicationListQuery = z.object({
  roundId: rowIdParam.optional().describe('Only this round’s'),
  status: z.enum(staffStatuses).optional().describe('Only applications in this status (drafts are never shown)'),
  ...pageQuery.shape,
});
export type ApplicationListQuery = z.infer<typeof applicationListQuery>;

const money = z.number().int().nullable();

export const applicationListItem = z.object({
  id: z.number().int(),
  roundId: z.number().int(),
  status: z.enum(staffStatuses),
  applicantKind: z.enum(['organisation', 'informal_group']),
  organisationName: z.string().nullable(),
  cvr: z.string().nullable(),
  groupName: z.string().nullable().describe('An informal group’s name'),
  projectTitle: z.string().nullable(),
  appliedOre: money.describe('The amount applied for, in øre'),
  submittedAt: dateTimeOut.nullable(),
  actorId: z.number().int().nullable().describe('The registry’s actor staff matched the applicant to'),
  grantId: z.number().int().nullable(),
  decidedAt: dateTimeOut.nullable(),
  version: z.number().int(),
});

export const applicationDetail = applicationListItem.extend({
  responsibleName: z.string().nullable(),
  coSignerName: z.string().nullable(),
  contactName: z.string().nullable(),
  contactEmail: z.string().nullable().describe('Null once the applicant’s personal data is erased'),
  contactPhone: z.string().nullable(),
  purpose: z.string().nullable(),
  municipalityCodes: z.array(z.number().int()).describe('Where the activity takes place'),
  periodFrom: dateOut.nullable(),
  periodTo: dateOut.nullable(),
  budgetLines: z.array(z.object({ text: z.string(), amountOre: z.number().int() })),
  ownFinancingOre: money,
  otherFundingOre: money,
  bankAccount: z
    .object({ regNo: z.string().describe('4 digits'), accountNo: z.string().describe('Up to 10 digits') })
    .nullable()
    .describe('Where a grant is paid to'),
  targetGroups: z.array(
    z.object({ targetGroupId: z.number().int(), expectedParticipants: z.number().int().nullable() }),
  ),
  decisionMeeting: z.string().nullable(),
  decisionReasons: z.string().nullable(),
  erasedAt: dateTimeOut.nullable(),
  documents: z.array(
    z.object({
      id: z.number().int(),
      kind: z.string(),
      fileName: z.string(),
      mediaType: z.string(),
      sizeBytes: z.number().int(),
      href: z.string().describe('GET it for the file itself (as an attachment)'),
    }),
  ),
});
