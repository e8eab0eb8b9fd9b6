import { customType } from 'drizzle-orm/pg-core';

/** PostgreSQL full-text search vector; only ever written by a generated column. */
export const tsvector = customType<{ data: string }>({
  dataType() {
    return 'tsvector';
  },
});
