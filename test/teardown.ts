// tap's "after" step: drop the PostgreSQL template database.
import { dropPostgresTemplate } from './template.ts';

if (process.env.DATABASE_URL) await dropPostgresTemplate(process.env.DATABASE_URL);
