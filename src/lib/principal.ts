/**
 * Who is acting: the user and the municipality a write is made for. Services receive it, never a
 * request. Until accounts exist it is the anonymous principal.
 */
export interface Principal {
  userId: number | null;
  municipalityCode: number | null;
}

export const anonymous: Principal = { userId: null, municipalityCode: null };
