import { AppError } from './errors.ts';
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
  | 'users';

const writers: Record<WriteArea, Role[]> = {
  actors: ['admin', 'coordinator'],
  targetGroups: ['admin', 'coordinator'],
  agreements: ['admin', 'coordinator'],
  grants: ['admin', 'finance'],
  needEstimates: ['admin', 'finance'],
  users: ['admin'],
};

export function isSignedIn(p: Principal): boolean {
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

export function assertMayWriteArea(p: Principal, area: WriteArea): void {
  if (!mayWriteArea(p, area)) throw new AccessDenied(area, p.municipalityCode);
}

/** The audit page: admin and finance. */
export function mayReadAudit(p: Principal): boolean {
  return p.role === 'admin' || p.role === 'finance';
}

/**
 * Contact persons are personal data: shown only to users of a municipality the actor works with:
 * its home, where it says it works, and (as the caller works out) municipalities with an agreement
 * with it that has not ended or a grant awarded to it.
 */
export function maySeeContacts(p: Principal, actorMunicipalities: number[]): boolean {
  return isSignedIn(p) && p.municipalityCode !== null && actorMunicipalities.includes(p.municipalityCode);
}
