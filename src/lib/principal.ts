export const userRoles = ['admin', 'coordinator', 'finance', 'viewer'] as const;
export type Role = (typeof userRoles)[number];

/**
 * Who is acting: the signed-in user, their role and their municipality. Services receive it, never
 * a request. The anonymous principal has none of them and may only read public pages.
 */
export interface Principal {
  userId: number | null;
  municipalityCode: number | null;
  role: Role | null;
  name?: string;
}

export const anonymous: Principal = { userId: null, municipalityCode: null, role: null };

/** The principal for work the system does itself (the CLI, migrations, seeding). */
export const system: Principal = { userId: null, municipalityCode: null, role: null, name: 'system' };
