import { parseArgs } from 'node:util';
import { type Config, loadConfig } from './config.ts';
import { backupPglite, restorePglite } from './db/backup.ts';
import { SCALES, writeBenchData } from './db/bench-data.ts';
import { type Database, openDatabase } from './db/client.ts';
import { countMigratedContents, migrateDatabase } from './db/migrate.ts';
import { translate } from './i18n/index.ts';
import { fieldErrorsFrom } from './lib/forms.ts';
import { system } from './lib/principal.ts';
import { installZodMessages } from './lib/zod-messages.ts';
import { newUserInput } from './modules/accounts/accounts.schemas.ts';
import { createAccountService } from './modules/accounts/accounts.service.ts';
import { createRetentionService } from './modules/applications/applications.retention.ts';
import { createMunicipalityService } from './modules/municipalities/municipalities.service.ts';

/** Opens and migrates the configured database, runs the work, and closes it again. */
async function withDatabase<T>(work: (database: Database, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  // An operator's command (bench-data writes millions of rows in a few statements) is not a
  // request: its statements are not bounded by STATEMENT_TIMEOUT_MS.
  const database = await openDatabase(
    config.database.kind === 'postgres' ? { ...config.database, statementTimeoutMs: 0 } : config.database,
  );
  try {
    await migrateDatabase(database);
    return await work(database, config);
  } finally {
    await database.close();
  }
}

function accountService(database: Database, config: Config) {
  return createAccountService(database.db, config, createMunicipalityService(database));
}

function options(args: string[], names: string[]): Record<string, string | undefined> {
  const { values } = parseArgs({
    args,
    options: Object.fromEntries(names.map((n) => [n, { type: 'string' as const }])),
    strict: true,
  });
  return values as Record<string, string | undefined>;
}

/** `npm run cli -- <command>`: administrative commands that run without the web server. */
const commands: Record<string, { summary: string; run: (args: string[]) => Promise<void> }> = {
  'user create': {
    summary:
      'Create a user: --email E --name N --password P --role admin|coordinator|finance|viewer --municipality 101',
    async run(args) {
      const o = options(args, ['email', 'name', 'password', 'role', 'municipality']);
      installZodMessages();
      const parsed = newUserInput.safeParse({
        email: o.email,
        name: o.name,
        password: o.password,
        role: o.role,
        municipalityCode: o.municipality === undefined ? undefined : Number(o.municipality),
      });
      if (!parsed.success) {
        const problems = Object.entries(fieldErrorsFrom(parsed.error)).map(
          ([field, keys]) =>
            `  --${field === 'municipalityCode' ? 'municipality' : field}: ${keys.map((k) => translate('en', k)).join(' ')}`,
        );
        throw new Error(`Cannot create the user:\n${problems.join('\n')}`);
      }
      await withDatabase(async (database, config) => {
        const user = await accountService(database, config).createUser(system, parsed.data, { system: true });
        console.log(`Created ${user.role} ${user.email} (id ${user.id}) in municipality ${user.municipalityCode}.`);
      });
    },
  },
  'token create': {
    summary: 'Create an API bearer token for a user: --email E [--name N]. The token is the last line printed.',
    async run(args) {
      const o = options(args, ['email', 'name']);
      if (!o.email) throw new Error('Give the user with --email');
      const email = o.email;
      await withDatabase(async (database, config) => {
        const accounts = accountService(database, config);
        const user = await accounts.findUserByEmail(email);
        if (!user) throw new Error(`No user has the e-mail ${email}`);
        if (!user.active) throw new Error(`The user ${email} is deactivated`);
        const { token } = await accounts.createApiToken(system, user.id, o.name ?? 'CLI');
        console.log(`API token for ${user.email}. Only its hash is stored; keep it safe:`);
        console.log(token);
      });
    },
  },
  'bench-data': {
    summary: 'Write deterministic test data into an empty database: --scale national|regional|small.',
    async run(args) {
      const o = options(args, ['scale']);
      const scale = SCALES[o.scale ?? 'national'];
      if (!scale) throw new Error(`Unknown scale ${o.scale}; use ${Object.keys(SCALES).join(', ')}`);
      await withDatabase(async (database) => {
        const started = Date.now();
        const counts = await writeBenchData(database, scale);
        console.log(
          `Wrote the ${o.scale ?? 'national'} data set in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
            Object.entries(counts)
              .map(([k, v]) => `${v} ${k}`)
              .join(', '),
        );
      });
    },
  },
  backup: {
    summary: 'Back up the embedded PGlite database to a file: --to FILE (stop Samspil first; PostgreSQL: pg_dump).',
    async run(args) {
      const o = options(args, ['to']);
      const config = loadConfig();
      if (config.database.kind !== 'pglite')
        throw new Error('DATABASE_URL is set: back up PostgreSQL with pg_dump -Fc (see docs/operations.md).');
      if (!o.to) throw new Error('Give the backup file with --to');
      const bytes = await backupPglite(config.database.dataDir, o.to);
      console.log(`Backed up ${config.database.dataDir} to ${o.to} (${bytes} bytes).`);
    },
  },
  restore: {
    summary: 'Restore the embedded PGlite database from a backup: --from FILE [--force] (stop Samspil first).',
    async run(args) {
      const { values } = parseArgs({
        args,
        options: { from: { type: 'string' }, force: { type: 'boolean' } },
        strict: true,
      });
      const config = loadConfig();
      if (config.database.kind !== 'pglite')
        throw new Error('DATABASE_URL is set: restore PostgreSQL with pg_restore (see docs/operations.md).');
      if (!values.from) throw new Error('Give the backup file with --from');
      await restorePglite(config.database.dataDir, values.from, values.force === true);
      console.log(`Restored ${values.from} into ${config.database.dataDir}.`);
    },
  },
  'applications erase': {
    summary:
      "Erase applicants' personal data past its retention now (the app also does it hourly where MAIL_SENDER=on).",
    async run(args) {
      options(args, []);
      await withDatabase(async (database, config) => {
        const erased = await createRetentionService(database, config).eraseAllDue(new Date());
        console.log(`Erased the personal data of ${erased} application${erased === 1 ? '' : 's'}.`);
      });
    },
  },
  migrate: {
    summary: 'Apply the database migrations and refresh the reference data (municipalities, FFB target groups).',
    async run() {
      const config = loadConfig();
      const database = await openDatabase(config.database);
      try {
        await migrateDatabase(database);
        const counts = await countMigratedContents(database);
        console.log(
          `Migrated the ${database.kind === 'pglite' ? `PGlite database in ${(config.database as { dataDir: string }).dataDir}` : 'PostgreSQL database'}: ` +
            `${counts?.municipalities} municipalities, ${counts?.target_groups} FFB target groups, ${counts?.actors} actors.`,
        );
      } finally {
        await database.close();
      }
    },
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`);
  return ['Usage: npm run cli -- <command>', '', 'Commands:', ...lines].join('\n');
}

const argv = process.argv.slice(2);
// Commands are one word ("migrate") or two ("user create").
const two = argv.slice(0, 2).join(' ');
const name = commands[two] ? two : argv[0];
const args = argv.slice(commands[two] ? 2 : 1);
const command = name ? commands[name] : undefined;
if (!command) {
  console.error(name && name !== 'help' && name !== '--help' ? `Unknown command: ${name}\n\n${usage()}` : usage());
  process.exit(name && name !== 'help' && name !== '--help' ? 2 : 0);
}
command.run(args).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
