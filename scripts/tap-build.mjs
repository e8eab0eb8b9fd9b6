/**
 * `npm test`'s first step: `tap build` when tap's Test class was built with other plugins than
 * package.json's tap config names (a clean install: tap ships it with the TypeScript plugin, which
 * the suite turns off). A build takes about 7 s and 10 s of CPU, and a build that changes nothing
 * is most runs, so it is skipped when the two agree.
 */
import { spawnSync } from 'node:child_process';
import { TapConfig } from '@tapjs/config';
import { signature } from '@tapjs/test';

const config = await TapConfig.load();
if (signature !== config.pluginSignature) {
  const build = spawnSync('npx', ['tap', 'build'], { stdio: 'inherit' });
  if (build.error) console.error(build.error);
  process.exitCode = build.status ?? 1;
}
