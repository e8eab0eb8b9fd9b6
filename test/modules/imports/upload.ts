import type { LightMyRequestResponse } from 'fastify';
import type { Test } from 'tap';
import type { ImportService } from '../../../src/modules/imports/imports.service.ts';
import type { Client } from '../../helper.ts';

const boundary = '----samspil-import-test';
const part = (name: string, value: string) =>
  `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;

/** A multipart body: the text fields, then the file. */
export function multipart(fields: Record<string, string>, file: Buffer, fileName = 'liste.csv') {
  return {
    payload: Buffer.concat([
      Buffer.from(
        Object.entries(fields)
          .map(([k, v]) => part(k, v))
          .join(''),
      ),
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      file,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/** Uploads a file through the wizard's first step, as a browser would. */
export function uploadPage(c: Client, kind: 'grants' | 'actors', file: Buffer, fileName?: string) {
  return c.inject({ method: 'POST', url: '/imports', ...multipart({ _csrf: c.csrf, kind }, file, fileName) });
}

/** POST /api/v1/imports with the file, the kind and any JSON fields. */
export function uploadApi(
  c: Client,
  kind: 'grants' | 'actors',
  file: Buffer,
  fields: Record<string, string> = {},
  fileName?: string,
): Promise<LightMyRequestResponse> {
  return c.inject({ method: 'POST', url: '/api/v1/imports', ...multipart({ kind, ...fields }, file, fileName) });
}

/** The text of a CSV in Windows-1252, as older Excel saves it. */
export function windows1252(text: string): Buffer {
  const bytes: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    if (code > 0xff) throw new Error(`not in Windows-1252 here: ${ch}`);
    bytes.push(code);
  }
  return Buffer.from(bytes);
}

/**
 * Holds every import the runner starts until release() is called, as a large file would keep it
 * running; the runner is put back when the test ends.
 */
export function holdImports(t: Test, service: ImportService): () => void {
  const run = service.run;
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  service.run = async (id) => {
    await gate;
    return run(id);
  };
  t.teardown(() => {
    service.run = run;
  });
  return release;
}
