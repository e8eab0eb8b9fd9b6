import { z } from 'zod';
import { rowId, rowIdParam, rowVersion } from '../../lib/ids.ts';
import { pageQuery, queryFlag } from '../../lib/pagination.ts';
import { dateOut, dateTimeOut } from '../../plugins/api-schemas.ts';
import { municipalityCode, municipalityCodeParam } from '../municipalities/municipalities.schemas.ts';

export const agreementKinds = ['formal', 'informal'] as const;
export const agreementStatuses = ['draft', 'active', 'ended'] as const;
export type AgreementStatus = (typeof agreementStatuses)[number];

const day = z.iso.date();
const text = (max: number) => z.string().trim().max(max);

const responsibilityInput = z.object({
  party: text(200).min(1),
  responsibility: text(2000).min(1),
});

const agreementFields = z.object({
  municipalityCode: municipalityCode.optional().describe('Default: your own municipality'),
  title: text(300).min(1),
  kind: z.enum(agreementKinds),
  purpose: text(5000).nullish(),
  frame: text(10000).nullish().describe('The frame and conditions'),
  actorIds: z.array(rowId).min(1).max(50).describe('One or more actors'),
  targetGroupIds: z.array(rowId).max(100).default([]),
  responsibilities: z.array(responsibilityInput).max(50).default([]).describe('Who does what, in order'),
  startsOn: day,
  endsOn: day.nullish(),
  reviewOn: day.nullish(),
  meetingIntervalMonths: z.number().int().min(1).max(36).nullish().describe('How often the parties meet, in months'),
  coordinatorUserId: rowId.nullish().describe('The responsible coordinator, a user of the municipality'),
  grantIds: z.array(rowId).max(100).default([]).describe('Linked § 18 grants'),
});

const periodInOrder = (a: { startsOn?: string; endsOn?: string | null }) =>
  !a.startsOn || !a.endsOn || a.endsOn >= a.startsOn;
const periodError = {
  message: 'agreement.endsBeforeStart',
  path: ['endsOn'],
  // Checked even when other fields are wrong, so the form shows every error at once.
  when: (payload: { value: unknown }) => {
    const v = payload.value as { startsOn?: unknown; endsOn?: unknown } | undefined;
    return typeof v?.startsOn === 'string' && typeof v?.endsOn === 'string';
  },
};

export const agreementInput = agreementFields
  .extend({ status: z.enum(agreementStatuses).default('draft') })
  .refine(periodInOrder, periodError);
export type AgreementInput = z.infer<typeof agreementInput>;

/** Fields for a change: what is left out stays as it is (the lists have no defaults here). */
const agreementChanges = agreementFields
  .omit({ municipalityCode: true })
  .partial()
  .extend({
    targetGroupIds: z.array(rowId).max(100).optional(),
    responsibilities: z.array(responsibilityInput).max(50).optional().describe('Who does what, in order'),
    grantIds: z.array(rowId).max(100).optional().describe('Linked § 18 grants'),
  });

export const agreementPatch = agreementChanges
  .extend({
    status: z.enum(agreementStatuses).optional().describe('draft → active → ended'),
    version: rowVersion.optional().describe('The version you read; or send If-Match'),
  })
  .refine(periodInOrder, periodError);
export type AgreementPatch = z.infer<typeof agreementPatch>;

const actionItemInput = z.object({
  text: text(2000).min(1),
  ownerUserId: rowId.nullish().describe('A user of the municipality'),
  ownerName: text(200).nullish().describe('Or a person of another party'),
  dueOn: day.nullish(),
});

export const meetingInput = z.object({
  meetingId: rowId.optional().describe('A planned meeting that was now held; otherwise a new meeting is recorded'),
  version: rowVersion.optional().describe('With meetingId: the version you read'),
  plannedOn: day.optional().describe('Default: the date held'),
  heldOn: day.nullish().describe('Leave out to plan a meeting'),
  participants: text(2000).nullish(),
  notes: text(20000).nullish(),
  decisions: text(10000).nullish(),
  actionItems: z.array(actionItemInput).max(50).default([]),
});
export type MeetingInput = z.infer<typeof meetingInput>;

export const actionItemSchema = z.object({
  id: z.number().int(),
  meetingId: z.number().int(),
  agreementId: z.number().int(),
  text: z.string(),
  ownerUserId: z.number().int().nullable(),
  ownerName: z.string().nullable(),
  dueOn: dateOut.nullable(),
  done: z.boolean(),
  doneAt: dateTimeOut.nullable(),
  overdue: z.boolean(),
  version: z.number().int(),
});
export type ActionItem = z.infer<typeof actionItemSchema>;

export const actionItemPatch = z.object({
  done: z.boolean().optional(),
  text: text(2000).min(1).optional(),
  ownerUserId: rowId.nullish(),
  ownerName: text(200).nullish(),
  dueOn: day.nullish(),
  version: rowVersion.optional().describe('The version you read; or send If-Match'),
});
export type ActionItemPatch = z.infer<typeof actionItemPatch>;

export const meetingSchema = z.object({
  id: z.number().int(),
  agreementId: z.number().int(),
  plannedOn: dateOut,
  heldOn: dateOut.nullable(),
  participants: z.string().nullable(),
  notes: z.string().nullable(),
  decisions: z.string().nullable(),
  actionItems: z.array(actionItemSchema),
  version: z.number().int(),
});
export type Meeting = z.infer<typeof meetingSchema>;

export const agreementSchema = z.object({
  id: z.number().int(),
  municipalityCode: z.number().int(),
  title: z.string(),
  kind: z.enum(agreementKinds),
  purpose: z.string().nullable(),
  frame: z.string().nullable(),
  actorIds: z.array(z.number().int()),
  targetGroupIds: z.array(z.number().int()),
  responsibilities: z.array(z.object({ party: z.string(), responsibility: z.string() })),
  startsOn: dateOut,
  endsOn: dateOut.nullable(),
  reviewOn: dateOut.nullable(),
  meetingIntervalMonths: z.number().int().nullable(),
  coordinatorUserId: z.number().int().nullable(),
  grantIds: z.array(z.number().int()),
  status: z.enum(agreementStatuses),
  renewedFromId: z.number().int().nullable(),
  lastMeetingHeldOn: dateOut.nullable(),
  nextMeetingDueOn: dateOut
    .nullable()
    .describe('From the pace: the last meeting held (or the start) plus the interval'),
  meetingOverdue: z.boolean(),
  version: z.number().int(),
});
export type Agreement = z.infer<typeof agreementSchema>;

export const agreementListQuery = z.object({
  municipalityCode: municipalityCodeParam.optional(),
  status: z.enum(agreementStatuses).optional(),
  actorId: rowIdParam.optional(),
  q: z.string().trim().max(200).optional(),
  ...pageQuery.shape,
});
export type AgreementListQuery = z.infer<typeof agreementListQuery>;

export const actionItemListQuery = z.object({
  municipalityCode: municipalityCodeParam.optional(),
  agreementId: rowIdParam.optional(),
  ownerUserId: rowIdParam.optional(),
  open: queryFlag.optional().describe('Only open (true) or only done (false) items'),
  ...pageQuery.shape,
});
export type ActionItemListQuery = z.infer<typeof actionItemListQuery>;

// ---- the HTML forms: the API's schemas above, as the forms send them -------------------------

/** The agreement form: the API's fields, less the municipality (always the user's own). */
export const agreementForm = agreementFields
  .omit({ municipalityCode: true })
  .extend({ status: z.enum(agreementStatuses).default('draft') })
  .refine(periodInOrder, periodError);
export const agreementEditForm = agreementChanges.extend({ version: rowVersion }).refine(periodInOrder, periodError);

/** A meeting held: the API's meeting, with its date required and its action items as `items`. */
export const meetingLogForm = meetingInput
  .pick({ meetingId: true, version: true, participants: true, notes: true, decisions: true })
  .extend({ heldOn: meetingInput.shape.heldOn.unwrap().unwrap(), items: meetingInput.shape.actionItems });
/** A meeting planned: its date only. */
export const meetingPlanForm = z.object({ plannedOn: meetingInput.shape.plannedOn.unwrap() });
/** An action item ticked off or reopened: an unticked box is not done. */
export const actionItemForm = z.object({
  done: actionItemPatch.shape.done.unwrap(),
  version: actionItemPatch.shape.version.unwrap(),
});
