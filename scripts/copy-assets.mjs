// Copies the front-end packages (Det Fælles Designsystem and htmx) from node_modules into
// public/vendor, so the app serves them itself and never from a CDN.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vendor = join(root, 'public', 'vendor');
const dkfds = join(root, 'node_modules', 'dkfds', 'dist');
const htmx = join(root, 'node_modules', 'htmx.org', 'dist');

if (!existsSync(dkfds) || !existsSync(htmx)) {
  console.warn('copy-assets: dkfds or htmx.org is not installed; skipping');
  process.exit(0);
}
rmSync(vendor, { recursive: true, force: true });
const copies = [
  [join(dkfds, 'css', 'dkfds.min.css'), join(vendor, 'dkfds', 'css', 'dkfds.min.css')],
  [join(dkfds, 'js', 'dkfds.min.js'), join(vendor, 'dkfds', 'js', 'dkfds.min.js')],
  [
    join(dkfds, 'fonts', 'IBMPlexSans', 'complete', 'woff2'),
    join(vendor, 'dkfds', 'fonts', 'IBMPlexSans', 'complete', 'woff2'),
  ],
  [
    join(dkfds, 'fonts', 'IBMPlexSans', 'complete', 'woff'),
    join(vendor, 'dkfds', 'fonts', 'IBMPlexSans', 'complete', 'woff'),
  ],
  [join(dkfds, 'img', 'all-svg-icons.svg'), join(vendor, 'dkfds', 'img', 'all-svg-icons.svg')],
  [join(dkfds, 'img', 'svg-icons'), join(vendor, 'dkfds', 'img', 'svg-icons')],
  [join(htmx, 'htmx.min.js'), join(vendor, 'htmx', 'htmx.min.js')],
];
for (const [from, to] of copies) {
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true });
}
console.log(`copy-assets: dkfds and htmx copied to ${vendor}`);
