import type { FastifyBaseLogger } from 'fastify';
import type { ImportService } from './imports.service.ts';

/**
 * Writes queued imports in the background, one at a time, so a large file finishes while its user
 * works elsewhere. The state lives in the database: a queued import (one cut off by a crash
 * included) is picked up by kick(), which runs when the app starts and after each commit.
 */
export function createImportRunner(imports: ImportService, log: FastifyBaseLogger) {
  let active: Promise<void> | null = null;
  let again = false;
  let closing = false;

  async function drain() {
    for (;;) {
      const ids = await imports.queued();
      let ran = 0;
      for (const id of ids) {
        if (closing) return;
        try {
          const outcome = await imports.run(id);
          if (outcome !== 'skipped') ran++;
          log.info({ importId: id, outcome }, 'import run');
        } catch (err) {
          // Shutting down cuts the transaction: the import stays queued for the next start.
          if (closing) return;
          log.error({ err, importId: id }, 'import failed');
          await imports
            .fail(id, err)
            .catch((e) => log.error({ err: e, importId: id }, 'could not mark the import failed'));
          ran++;
        }
      }
      // Nothing left, or only imports another process holds.
      if (!ran || closing) return;
    }
  }

  const runner = {
    kick(): void {
      if (closing) return;
      if (active) {
        again = true;
        return;
      }
      active = drain()
        .catch((err) => {
          if (!closing) log.error({ err }, 'import runner stopped');
        })
        .finally(() => {
          active = null;
          if (again && !closing) {
            again = false;
            runner.kick();
          }
        });
    },
    /** Resolves when nothing is running (tests, and shutdown). */
    async idle(): Promise<void> {
      while (active) await active;
    },
    close(): void {
      closing = true;
    },
  };
  return runner;
}

export type ImportRunner = ReturnType<typeof createImportRunner>;
