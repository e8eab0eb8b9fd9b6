import { z } from 'zod';
import { isEightDigits, normaliseCvr, passesModulus11 } from '../../lib/cvr.ts';
import { rowId, rowIdParam, rowVersion } from '../../lib/ids.ts';
import { pageQuery } from '../../lib/pagination.ts';
import { municipalityCode, municipalityCodeParam } from '../municipalities/municipalities.schemas.ts';

export const orgTypes = [
  'association',
  'self_governing_institution',
  'foundation',
  'social_enterprise',
  'informal_group',
] as const;
export const actorRoles = ['advocate', 'inclusion_arena', 'service_provider'] as const;
export const actorStatuses = ['active', 'inactive', 'archived'] as const;
export type ActorRole = (typeof actorRoles)[number];

/** The fields of an actor whose value a merge takes from one of the actors merged. */
export const MERGE_FIELDS = ['name', 'cvr', 'orgType', 'description', 'website', 'email', 'phone', 'address'] as const;
export type MergeField = (typeof MERGE_FIELDS)[number];

const text = (max: number) => z.string().trim().max(max);
const optionalText = (max: number) => text(max).nullish();

export const cvrSchema = z
  .string()
  .transform(normaliseCvr)
  .refine(isEightDigits, { message: 'actor.cvr.digits', abort: true })
  .refine(passesModulus11, 'actor.cvr.modulus11');

export const phone = z
  .string()
  .trim()
  .max(40)
  .regex(/^\+?[\d\s()-]{6,}$/, 'validation.phone');

/** Adds https:// when a person types "www.example.dk". */
const website = z
  .string()
  .trim()
  .max(500)
  .transform((s) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : `https://${s}`))
  .pipe(z.url({ protocol: /^https?$/, error: 'validation.url' }));

const contactInput = z.object({
  id: rowId.optional().describe('Set to keep and update an existing contact'),
  version: rowVersion
    .optional()
    .describe('With an id: the contact’s version you read; a contact changed or erased since gives 409'),
  name: text(200).min(1),
  role: optionalText(200),
  email: z.email().max(320).nullish(),
  phone: phone.nullish(),
});
export type ContactInput = z.infer<typeof contactInput>;

/** The fields of an actor, without defaults (a PATCH must not fill in what it did not send). */
const actorBase = z.object({
  name: text(200).min(1),
  cvr: cvrSchema.nullish(),
  orgType: z.enum(orgTypes),
  roles: z
    .array(z.enum(actorRoles))
    .min(1, 'actor.roles.required')
    .max(3)
    .refine((r) => new Set(r).size === r.length, 'actor.roles.unique'),
  underServiceAct: z
    .boolean()
    .nullish()
    .describe('For a service provider: does it deliver under the Social Services Act?'),
  description: optionalText(5000),
  website: website.nullish(),
  email: z.email().max(320).nullish(),
  phone: phone.nullish(),
  address: optionalText(500),
  homeMunicipalityCode: municipalityCode,
  municipalityCodes: z.array(municipalityCode).max(98),
  targetGroupIds: z.array(rowId).max(300),
  contacts: z.array(contactInput).max(50),
  status: z.enum(actorStatuses),
});

/** The fields of an actor, shared by the create and edit forms and by the JSON API. */
export const actorFields = actorBase.extend({
  municipalityCodes: actorBase.shape.municipalityCodes.default([]),
  targetGroupIds: actorBase.shape.targetGroupIds.default([]),
  contacts: actorBase.shape.contacts.default([]),
  status: actorBase.shape.status.default('active'),
});
export type ActorInput = z.infer<typeof actorFields>;

export const actorPatch = actorBase.partial().extend({
  version: rowVersion.optional().describe('The version you read; or send If-Match'),
});
export type ActorPatch = z.infer<typeof actorPatch>;

/** The edit form sends every field, and the version it was opened at. */
export const actorEditForm = actorFields.extend({ version: rowVersion });

/** Quick registration of an informal group (popupfrivillighed): a name and one contact. */
export const quickInformalGroup = z.object({
  name: text(200).min(1),
  contact: contactInput.omit({ id: true, version: true }),
});
export type QuickInformalGroup = z.infer<typeof quickInformalGroup>;

const contactSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  role: z.string().nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  version: z.number().int(),
});

export const actorSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  cvr: z.string().nullable(),
  orgType: z.enum(orgTypes),
  roles: z.array(z.enum(actorRoles)),
  underServiceAct: z.boolean().nullable(),
  description: z.string().nullable(),
  website: z.string().nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  address: z.string().nullable(),
  homeMunicipalityCode: z.number().int(),
  municipalityCodes: z.array(z.number().int()),
  targetGroupIds: z.array(z.number().int()),
  contacts: z
    .array(contactSchema)
    .describe('Empty unless your municipality works with the actor (see contactsVisible)'),
  status: z.enum(actorStatuses),
  version: z.number().int(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type Actor = z.infer<typeof actorSchema>;
export const actorReadSchema = actorSchema.extend({
  contactsVisible: z
    .boolean()
    .describe('Contact persons are personal data, shown to the municipalities the actor works in'),
});

export const sortKeys = ['name', '-name', 'updated', '-updated', 'relevance'] as const;

export const actorListQuery = z.object({
  q: z.string().trim().max(200).optional(),
  role: z.enum(actorRoles).optional(),
  targetGroupId: rowIdParam.optional().describe('Includes its sub-groups'),
  municipalityCode: municipalityCodeParam.optional().describe('Home municipality or works in'),
  status: z
    .enum([...actorStatuses, 'all'])
    .optional()
    .describe('Default: all but archived'),
  sort: z.enum(sortKeys).optional().describe('Default: relevance when q is given, otherwise name'),
  ...pageQuery.shape,
});
export type ActorListQuery = z.infer<typeof actorListQuery>;

export const actorListItem = actorSchema.omit({ contacts: true });
export type ActorListItem = z.infer<typeof actorListItem>;
/** An actor as the list page and the menus of actors show it. */
export type ActorSummary = Pick<
  ActorListItem,
  'id' | 'name' | 'cvr' | 'orgType' | 'roles' | 'homeMunicipalityCode' | 'status' | 'updatedAt'
>;

const similarActorSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  cvr: z.string().nullable(),
  homeMunicipalityCode: z.number().int(),
  status: z.enum(actorStatuses),
  similarity: z.number(),
});
export type SimilarActor = z.infer<typeof similarActorSchema>;
