#!/usr/bin/env node
// Builds everything under dist/: the Peggy parser, the WASM codecs, the TypeScript and the UI.
// Each generator runs only when its output is older than its inputs, so a rebuild is cheap.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, copyFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

function newestMtime(paths) {
  let newest = 0;
  for (const p of paths) {
    if (!existsSync(p)) continue;
    const st = statSync(p);
    if (st.isDirectory()) newest = Math.max(newest, newestMtime(readdirSync(p).map((f) => join(p, f))));
    else newest = Math.max(newest, st.mtimeMs);
  }
  return newest;
}
const stale = (out, inputs) => !existsSync(out) || statSync(out).mtimeMs < newestMtime(inputs);

// 1. PromQL parser from the Peggy grammar (generated code stays in a git-ignored folder).
const grammar = join(root, 'src/promql/grammar.peggy');
const parserOut = join(root, 'src/promql/generated/parser.js');
if (existsSync(grammar) && stale(parserOut, [grammar])) {
  mkdirSync(dirname(parserOut), { recursive: true });
  run(bin('peggy'), ['--format', 'es', '--dts', '--allowed-start-rules', '*', '-o', parserOut, grammar]);
}

// 2. WebAssembly from native/ (AssemblyScript): the column codecs (native/*.ts) and the remote-write
// decoding helpers (native/ingest/), each a module of its own.
const ascFlags = [
  '--optimizeLevel',
  '3',
  '--shrinkLevel',
  '0',
  '--runtime',
  'stub',
  '--noAssert',
  '--exportRuntime',
  '--initialMemory',
  '64',
  '--enable',
  'simd',
  '--enable',
  'bulk-memory',
];
const nativeDir = join(root, 'native');
const wasmModules = [
  {
    entry: join(nativeDir, 'codec.ts'),
    out: join(root, 'src/codec/generated/codec.wasm'),
    inputs: () =>
      readdirSync(nativeDir)
        .filter((f) => f.endsWith('.ts'))
        .map((f) => join(nativeDir, f)),
  },
  { entry: join(nativeDir, 'ingest/index.ts'), out: join(root, 'src/ingest/generated/ingest.wasm'), inputs: () => [join(nativeDir, 'ingest')] },
];
for (const m of wasmModules) {
  if (existsSync(m.entry) && stale(m.out, m.inputs())) {
    mkdirSync(dirname(m.out), { recursive: true });
    run(bin('asc'), [m.entry, '--outFile', m.out, ...ascFlags]);
  }
}

// 2b. The malloc_trim addon (native/malloc-trim.c), on glibc Linux when a C compiler is found. It is
// optional: without it src/runtime/malloc-trim.ts does nothing, so a missing compiler only warns.
const trimSrc = join(root, 'native/malloc-trim.c');
const trimOut = join(root, 'src/runtime/generated/malloc-trim.node');
if (process.platform === 'linux' && existsSync(trimSrc) && stale(trimOut, [trimSrc])) {
  mkdirSync(dirname(trimOut), { recursive: true });
  try {
    execFileSync(process.env.CC || 'cc', ['-O2', '-shared', '-fPIC', '-o', trimOut, trimSrc], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (e) {
    console.error(
      `[build] native/malloc-trim.c not built (${e.message.split('\n')[0]}); freed malloc memory is returned to the OS only as glibc does by itself`,
    );
  }
}

// 3. TypeScript. tsc still emits when there are type errors; we finish the build and fail at the end,
// so one module's type error does not hide the others' output during development.
let failed = false;
try {
  run(bin('tsc'), ['-p', 'tsconfig.build.json']);
} catch {
  failed = true;
}

// 4. Generated non-TS artifacts (parser JS, wasm) go next to the compiled modules that load them.
function copyGenerated(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name === 'generated') {
        for (const f of readdirSync(p)) {
          if (f.endsWith('.ts')) continue;
          const dest = join(root, 'dist', relative(join(root, 'src'), p), f);
          mkdirSync(dirname(dest), { recursive: true });
          // A running server has its addon mapped: copying over it in place would crash it.
          if (f.endsWith('.node')) {
            copyFileSync(join(p, f), dest + '.tmp');
            renameSync(dest + '.tmp', dest);
          } else copyFileSync(join(p, f), dest);
        }
      } else copyGenerated(p);
    }
  }
}
copyGenerated(join(root, 'src'));

// 5. The web UI bundle, when the UI has a build script of its own.
const uiBuild = join(root, 'scripts/build-ui.mjs');
if (existsSync(uiBuild)) run(process.execPath, [uiBuild]);

if (failed) {
  console.error('[build] TypeScript reported errors (see above)');
  process.exit(1);
}
writeFileSync(join(root, 'dist/.build-stamp'), new Date().toISOString() + '\n');
