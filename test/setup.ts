// tap's "before" step: migrate the template database once for the whole run.
import { buildPgliteTemplate, buildPostgresTemplate } from './template.ts';

const started = Date.now();
if (process.env.DATABASE_URL) await buildPostgresTemplate(process.env.DATABASE_URL);
else await buildPgliteTemplate();
console.log(
  `# template database ready in ${Date.now() - started} ms (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`,
);
