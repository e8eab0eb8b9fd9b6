import { sql } from 'drizzle-orm';
import { loadConfig } from './config.ts';
import { openDatabase } from './db/client.ts';
import { migrateDatabase } from './db/migrate.ts';

/** `npm run cli -- <command>`: administrative commands that run without the web server. */
const commands: Record<string, { summary: string; run: (args: string[]) => Promise<void> }> = {
  migrate: {
    summary: 'Apply the database migrations and refresh the reference data (municipalities, FFB target groups).',
    async run() {
      const config = loadConfig();
      const database = await openDatabase(config.database);
      try {
        await migrateDatabase(database);
        const [counts] = await database.rows<{ municipalities: number; target_groups: number; actors: number }>(
          sql`select
            (select count(*)::int from municipalities) as municipalities,
            (select count(*)::int from target_groups where municipality_code is null) as target_groups,
            (select count(*)::int from actors) as actors`,
        );
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
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return ['Usage: npm run cli -- <command>', '', 'Commands:', ...lines].join('\n');
}

const [name, ...args] = process.argv.slice(2);
const command = name ? commands[name] : undefined;
if (!command) {
  console.error(name && name !== 'help' && name !== '--help' ? `Unknown command: ${name}\n\n${usage()}` : usage());
  process.exit(name && name !== 'help' && name !== '--help' ? 2 : 0);
}
command.run(args).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
