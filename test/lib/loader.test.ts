import { execFileSync } from 'node:child_process';
import * as nodeModule from 'node:module';
import t from 'tap';
import { root, TS_LOADER } from '../template.ts';

type Resolution = [specifier: string, parent: string | null, url: string, format: string | null];

/** test/fixtures/resolutions.mjs run in a process of its own, with the given loader flags. */
const resolutions = (loader: string[]): { seen: Resolution[]; answered: number | null } =>
  JSON.parse(
    execFileSync(process.execPath, [...loader, 'test/fixtures/resolutions.mjs'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    }),
  );

t.test(
  "the test loader resolves drizzle-orm's own imports itself, to what Node's resolver gives",
  { skip: !('registerHooks' in nodeModule) && 'this Node has no module.registerHooks' },
  async (t) => {
    const node = resolutions([]);
    const loader = resolutions(TS_LOADER);
    t.ok(node.seen.length > 100, `drizzle-orm's modules import one another (${node.seen.length} imports)`);
    t.equal(node.answered, null, 'without the loader, Node resolves every one');
    t.equal(loader.seen.length, node.seen.length, 'the same imports');
    const key = (r: Resolution) => `${r[0]} from ${r[1]}`;
    const withLoader = new Map(loader.seen.map((r) => [key(r), r]));
    t.same(
      node.seen.filter((r) => withLoader.get(key(r))?.[2] !== r[2] || withLoader.get(key(r))?.[3] !== r[3]),
      [],
      'each to the same file, in the same format',
    );
    t.ok(
      (loader.answered ?? 0) > node.seen.length / 2,
      `the loader answered ${loader.answered} of them; Node's resolver, the rest`,
    );
  },
);
