import { constants } from 'node:zlib';
import compress from '@fastify/compress';
import type { FastifyInstance } from 'fastify';

/**
 * Pages, JSON, CSV, scripts and styles go out compressed, with brotli or gzip as the client asks,
 * when they are over a kilobyte. Brotli at quality 4 compresses a page nearly as well as gzip's best
 * for a fraction of the CPU (11, its default, costs tens of milliseconds a page). Files that are
 * already compressed (XLSX is a zip, images) are sent as they are.
 */
const COMPRESS_THRESHOLD_BYTES = 1024;
const compressible = /^(text\/|application\/(json|javascript|xml)|image\/svg\+xml)/;

export async function registerCompression(app: FastifyInstance): Promise<void> {
  await app.register(compress, {
    global: true,
    encodings: ['br', 'gzip'],
    threshold: COMPRESS_THRESHOLD_BYTES,
    customTypes: compressible,
    brotliOptions: { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } },
    zlibOptions: { level: 6 },
  });
}
