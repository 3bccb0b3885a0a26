#!/usr/bin/env node
// `npm run bench [-- --full ...]`: builds Strata (dist/, for the server under test), compiles src +
// bench into build/ with tsconfig.bench.json, copies generated artifacts next to the compiled
// modules, and runs build/bench/run.js with the arguments passed through.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const node = process.execPath;
const say = (msg) => process.stderr.write(`[bench] ${msg}\n`);

// 1. Strata's own build. A failure here (another module's type error) must not stop the comparison:
// the Strata column then says why it is n/a.
if (!process.argv.includes('--help') && !process.argv.includes('-h')) {
  const prep = spawnSync(node, [join(root, 'scripts/prepare.mjs')], { cwd: root, stdio: 'inherit' });
  if (prep.status !== 0) say('scripts/prepare.mjs failed; Strata runs from whatever dist/ holds (see its column)');
}

// 2. src + bench → build/. tsc emits despite type errors; only a missing entry point is fatal.
const tsc = spawnSync(join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.bench.json'], { cwd: root, stdio: 'inherit' });
// `series`, `lifecycle`, `forward`, `backup`, `remote-read` or `histograms` as the first argument runs that scenario (bench/<name>.ts) instead of the suite.
const scenario = ['series', 'lifecycle', 'forward', 'backup', 'remote-read', 'histograms'].includes(process.argv[2] ?? '') ? process.argv[2] : 'run';
const entry = join(root, `build/bench/${scenario}.js`);
if (tsc.status !== 0) say('tsc reported type errors (above); running what was emitted');
if (!existsSync(entry)) {
  say(`${relative(root, entry)} was not produced`);
  process.exit(1);
}

// 3. src/**/generated/* artifacts that tsc does not emit (parser JS, wasm) go beside the compiled code.
function copyGenerated(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (!statSync(p).isDirectory()) continue;
    if (name !== 'generated') {
      copyGenerated(p);
      continue;
    }
    for (const f of readdirSync(p)) {
      if (f.endsWith('.ts') || statSync(join(p, f)).isDirectory()) continue;
      const dest = join(root, 'build', relative(root, p), f);
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(join(p, f), dest);
    }
  }
}
copyGenerated(join(root, 'src'));

// 4. Run. The suite stops its own servers; we only pass the exit code on.
const run = spawnSync(node, [entry, ...process.argv.slice(scenario === 'run' ? 2 : 3)], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
