/**
 * The virus-scanner hook for uploaded documents: the upload's content is given to the scanner as a
 * stream before the transaction that would store it begins; a verdict other than clean refuses the
 * upload with nothing written.
 * Off by default (DOCUMENT_SCAN_COMMAND unset). The command gets the file on its standard input,
 * as `clamdscan --fdpass -` or `clamscan -` take it: exit 0 is clean, 1 is infected, anything else
 * (or no answer within the timeout) a failed scan, and the upload is refused either way.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

type ScanVerdict = 'clean' | 'infected' | 'failed';

export interface DocumentScanner {
  scan(content: Readable): Promise<ScanVerdict>;
}

/** No scanning: every document is taken as clean. */
export const noScanner: DocumentScanner = {
  async scan(content) {
    content.destroy();
    return 'clean';
  },
};

/** A scanner run as a shell command for each document, reading it on standard input. */
export function commandScanner(command: string, timeoutMs = 60_000): DocumentScanner {
  return {
    scan(content) {
      return new Promise<ScanVerdict>((resolve) => {
        const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'ignore', 'ignore'], timeout: timeoutMs });
        let settled = false;
        const done = (verdict: ScanVerdict) => {
          if (settled) return;
          settled = true;
          content.destroy();
          resolve(verdict);
        };
        child.once('error', () => done('failed'));
        child.once('close', (code) => done(code === 0 ? 'clean' : code === 1 ? 'infected' : 'failed'));
        // A scanner that stops reading early (it has seen enough) is no failure of the upload.
        pipeline(content, child.stdin).catch(() => {});
      });
    },
  };
}
