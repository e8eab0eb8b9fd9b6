import { addMonths, type IsoDate } from './dates.ts';
import { AppError, notFound } from './errors.ts';
import type { Principal, Role } from './principal.ts';

/**
 * The access rules, in one place. Everyone signed in reads the shared registry, every municipality's
 * rounds, grants and agreements, and the reports. Writes are scoped by role and by the acting user's
 * own municipality.
 */
export type WriteArea =
  | 'actors' // actors and their contacts
  | 'targetGroups' // local target groups
  | 'agreements' // agreements, meetings, outreach
  | 'grants' // grant rounds, grants, payments
  | 'needEstimates'
  | 'reviews' // scoring applications, conflicts of interest, the committee view
  | 'users'
  | 'applications'; // handling an application: matching its actor, starting its review

const writers: Record<WriteArea, Role[]> = {
  actors: ['admin', 'coordinator'],
  targetGroups: ['admin', 'coordinator'],
  agreements: ['admin', 'coordinator'],
  grants: ['admin', 'finance'],
  needEstimates: ['admin', 'finance'],
  reviews: ['admin', 'coordinator', 'finance'],
  users: ['admin'],
  applications: ['admin', 'coordinator', 'finance'],
};

function isSignedIn(p: Principal): boolean {
  return p.userId !== null && p.role !== null;
}

export function mayWrite(p: Principal, area: WriteArea, municipalityCode: number): boolean {
  return isSignedIn(p) && p.role !== null && writers[area].includes(p.role) && p.municipalityCode === municipalityCode;
}

/** May this user write in the area at all (for any record of their own municipality)? */
export function mayWriteArea(p: Principal, area: WriteArea): boolean {
  return isSignedIn(p) && p.role !== null && writers[area].includes(p.role);
}

export class AccessDenied extends AppError {
  readonly area: WriteArea;
  readonly municipalityCode: number | null;
  constructor(area: WriteArea, municipalityCode: number | null) {
    super('FORBIDDEN', 403, 'error.forbidden', { details: { area, municipalityCode } });
    this.area = area;
    this.municipalityCode = municipalityCode;
  }
}

/** Throws 403 unless the principal may write this area's records of that municipality. */
export function assertMayWrite(p: Principal, area: WriteArea, municipalityCode: number): void {
  if (!mayWrite(p, area, municipalityCode)) throw new AccessDenied(area, municipalityCode);
}

/**
 * Throws 403 unless the principal may create records of the area: a new record is always of their
 * own municipality. Create forms check this before they are shown.
 */
export function assertMayCreate(p: Principal, area: WriteArea): void {
  if (p.municipalityCode === null || !mayWrite(p, area, p.municipalityCode))
    throw new AccessDenied(area, p.municipalityCode);
}

/**
 * Who may award beyond a round's budget, on the grant form or in an import: those who write the
 * round's grants (finance and admin of its municipality), and only when they say so explicitly.
 */
function mayOverrideBudget(p: Principal, municipalityCode: number): boolean {
  return mayWrite(p, 'grants', municipalityCode);
}

export function assertMayOverrideBudget(p: Principal, municipalityCode: number): void {
  if (!mayOverrideBudget(p, municipalityCode)) throw new AccessDenied('grants', municipalityCode);
}

/**
 * The review of a round's applications (scores, conflicts of interest, the committee view): its
 * reviewers are the coordinators, finance and admins of the round's municipality. Applications are
 * not shared data: to another municipality's users they do not exist (404); a viewer of the
 * municipality gets 403. Checked before anything else, reads included.
 */
export function assertMayReview(p: Principal, municipalityCode: number, entity: string, id: number): void {
  if (!isSignedIn(p) || p.municipalityCode !== municipalityCode) throw notFound(entity, id);
  if (!mayWrite(p, 'reviews', municipalityCode)) throw new AccessDenied('reviews', municipalityCode);
}

/**
 * An application sent to a round (issue 21) is read by the users of the round's municipality, any
 * role; to everyone else, the public included, it does not exist (404, never 403). Handling it
 * (matching or creating its actor, starting its review) is mayWrite(p, 'applications', code).
 */
export function mayReadApplications(p: Principal, municipalityCode: number): boolean {
  return isSignedIn(p) && p.municipalityCode === municipalityCode;
}

/** Throws 404 (the application is not there for them) unless the principal may read it. */
export function assertMayReadApplication(p: Principal, municipalityCode: number, id: number): void {
  if (!mayReadApplications(p, municipalityCode)) throw notFound('application', id);
}

/**
 * Deciding an online application (issue 21): finance and admin of the round's municipality. Other
 * users of that municipality are refused (403); to anyone else the application does not exist (404).
 */
export function assertMayDecideApplication(p: Principal, municipalityCode: number, applicationId: number): void {
  if (!isSignedIn(p) || p.municipalityCode !== municipalityCode) throw notFound('application', applicationId);
  if (!mayWrite(p, 'grants', municipalityCode)) throw new AccessDenied('grants', municipalityCode);
}

/**
 * A grant's report sent by its applicant through the link, and its documents, are read as the
 * application is (mayReadApplications). Accepting it or asking for more: those who write the round's
 * grants (finance, admin).
 */
export function mayDecideApplicationReport(p: Principal, municipalityCode: number): boolean {
  return mayWrite(p, 'grants', municipalityCode);
}

export function assertMayDecideApplicationReport(p: Principal, municipalityCode: number): void {
  if (!mayDecideApplicationReport(p, municipalityCode)) throw new AccessDenied('grants', municipalityCode);
}

/** The mail page (what was sent, what failed): the admins of a municipality, for its mail. */
export function assertMayReadMail(p: Principal): asserts p is Principal & { municipalityCode: number } {
  if (!isSignedIn(p) || p.role !== 'admin' || p.municipalityCode === null)
    throw new AccessDenied('users', p.municipalityCode);
}

/** The audit page: admin and finance. */
export function mayReadAudit(p: Principal): boolean {
  return p.role === 'admin' || p.role === 'finance';
}

/** How long an awarded grant keeps an actor's contacts visible to the municipality that awarded it. */
const CONTACTS_AFTER_GRANT_YEARS = 3;

/**
 * The contact rule. Contact persons are personal data: shown only to users of a municipality that
 * works with the actor now, which is
 *   - its home municipality, or one where it says it works;
 *   - a municipality with an *active* agreement with it whose period has begun and not yet ended
 *     (a draft, an ended agreement, or an active one past its end date gives no access);
 *   - a municipality that *awarded* it a grant (approved, paid, accounted or closed, with an
 *     amount above zero) decided within the last CONTACTS_AFTER_GRANT_YEARS years; an application
 *     alone gives no access.
 * The repository works out the last two (cooperatingMunicipalities, from contactRuleDates); this
 * decides on the list.
 */
export function maySeeContacts(p: Principal, actorMunicipalities: number[]): boolean {
  return isSignedIn(p) && p.municipalityCode !== null && actorMunicipalities.includes(p.municipalityCode);
}

/** The dates the contact rule compares with, for a Danish calendar day. */
export function contactRuleDates(today: IsoDate): { today: IsoDate; grantsDecidedFrom: IsoDate } {
  return { today, grantsDecidedFrom: addMonths(today, -12 * CONTACTS_AFTER_GRANT_YEARS) };
}

/**
 * An application's questions and answers (issue 21) are read as the application is (any user of the
 * round's municipality; 404 to anyone else); asking is handling it (mayWrite 'applications').
 */
export function assertMayReadApplicationQuestions(p: Principal, roundMunicipalityCode: number): void {
  if (!mayReadApplications(p, roundMunicipalityCode))
    throw new AppError('NOT_FOUND', 404, 'error.notFound', { details: { entity: 'application' } });
}

/** May this user ask the applicant a question (admin, coordinator, finance of the round's municipality)? */
export function mayAskApplicant(p: Principal, roundMunicipalityCode: number): boolean {
  return mayReadApplications(p, roundMunicipalityCode) && mayWrite(p, 'applications', roundMunicipalityCode);
}

/** 404 outside the round's municipality, 403 for a reader of it who may not ask. */
export function assertMayAskApplicant(p: Principal, roundMunicipalityCode: number): void {
  assertMayReadApplicationQuestions(p, roundMunicipalityCode);
  if (!mayAskApplicant(p, roundMunicipalityCode)) throw new AccessDenied('applications', roundMunicipalityCode);
}
