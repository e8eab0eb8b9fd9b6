/**
 * How every test process loads TypeScript (tap's `node-arg`, and the servers, CLI runs and helpers
 * the tests spawn, through `TS_LOADER` in template.ts). JavaScript, so that any Node can load it.
 *
 * - A Node that strips types itself (22.18 and later; Node 24, which CI runs the suites on) reads
 *   the .ts files as `npm start` does. Under tsx the same process took about 1.2 s more CPU to start.
 * - An older Node (the machine's Node 20) loads tsx, as `--import=tsx` did.
 *
 * Where Node has `module.registerHooks`, relative `.js` imports inside an ES-module package in
 * node_modules are resolved here. Node 24's own resolver reads the nearest package.json for each
 * file to learn its format, and parses that file's `exports` map again every time; drizzle-orm's
 * map is 179 KB and it has hundreds of files, so loading the app took about 2.5 s of CPU, and 1.5 s
 * with this. Only a relative specifier with its extension, from a file of such a package, is
 * answered here; everything else goes to Node's resolver.
 */
import { lstatSync, readFileSync } from 'node:fs';
import * as nodeModule from 'node:module';

if (!process.features.typescript) await import('tsx');
// Types stripped in place need no source maps; tap's process-info turns them on, and then parsed the
// maps of every package module that has one (7 s of CPU in a suite's profile). tsx keeps its own.
else process.setSourceMapsEnabled(false);

/** The `type` of the nearest package.json above a directory URL ('module' or 'commonjs'), cached. */
const types = new Map();
function packageType(directory) {
  let type = types.get(directory);
  if (type !== undefined) return type;
  try {
    const json = JSON.parse(readFileSync(new URL('package.json', directory), 'utf8'));
    type = json.type === 'module' ? 'module' : 'commonjs';
  } catch (error) {
    // One that cannot be read or parsed is left to Node's resolver, which says what is wrong.
    if (error?.code !== 'ENOENT') type = null;
    else {
      const parent = new URL('..', directory).href;
      // A package's own root always has a package.json; past node_modules there is nothing to cache.
      type = parent.endsWith('/node_modules/') || parent === directory ? null : packageType(parent);
    }
  }
  types.set(directory, type);
  return type;
}

/** How many imports were answered here (test/lib/loader.test.ts reads it). */
const answered = Symbol.for('samspil.test-loader.answered');
globalThis[answered] = 0;

const inPackage = /\/node_modules\/(?:@[^/]+\/)?[^/]+\//;

nodeModule.registerHooks?.({
  resolve(specifier, context, nextResolve) {
    const parent = context.parentURL;
    if (
      parent?.startsWith('file:') &&
      (specifier.startsWith('./') || specifier.startsWith('../')) &&
      specifier.endsWith('.js') &&
      inPackage.test(parent) &&
      !context.conditions?.includes('require')
    ) {
      const url = new URL(specifier, parent);
      // Only a plain file: a link, a directory or a missing file is Node's to resolve (and to refuse).
      if (
        inPackage.test(url.pathname) &&
        packageType(new URL('.', url).href) === 'module' &&
        lstatSync(url, { throwIfNoEntry: false })?.isFile()
      ) {
        globalThis[answered]++;
        return { url: url.href, format: 'module', shortCircuit: true };
      }
    }
    return nextResolve(specifier, context);
  },
});
