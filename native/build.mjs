// Builds the libibumad addon when libibumad is installed; otherwise says so in one
// line and succeeds, so `npm install` never fails for its absence.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const header = '/usr/include/infiniband/umad.h';
const libraryCandidates = [
  '/usr/lib/x86_64-linux-gnu/libibumad.so',
  '/usr/lib/aarch64-linux-gnu/libibumad.so',
  '/usr/lib64/libibumad.so',
  '/usr/lib/libibumad.so',
];

if (!existsSync(join(here, 'binding.gyp'))) {
  console.log('repath native addon: skipped (native/binding.gyp not present)');
  process.exit(0);
}
if (!existsSync(header) || !libraryCandidates.some((p) => existsSync(p))) {
  console.log('repath native addon: skipped (libibumad-dev not installed; apt-get install libibumad-dev to build it)');
  process.exit(0);
}

// npm exports the path of its bundled node-gyp to lifecycle scripts; fall back to
// the copy that ships inside npm when run by hand.
const npmGyp = process.env.npm_config_node_gyp
  ?? join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
// Use the headers installed beside this node (e.g. Debian's /usr/include/node)
// when present, so the build works offline; otherwise node-gyp fetches them.
const nodePrefix = dirname(dirname(process.execPath));
const gypArgs = [npmGyp, 'rebuild'];
if (existsSync(join(nodePrefix, 'include', 'node', 'node_api.h')) && existsSync(join(nodePrefix, 'include', 'node', 'common.gypi'))) {
  gypArgs.push(`--nodedir=${nodePrefix}`);
}
const result = spawnSync(process.execPath, gypArgs, { cwd: here, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
if (result.status === 0) {
  console.log('repath native addon: built native/build/Release/repath_umad.node (libibumad)');
  process.exit(0);
}
// libibumad is here, so a failed build is a real defect: show node-gyp's output
// and fail the install loudly.
process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? `${result.error.message}\n` : ''}`);
console.error('repath native addon: build FAILED (node-gyp output above)');
process.exit(result.status ?? 1);
