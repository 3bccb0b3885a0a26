#!/usr/bin/env node
// Builds the web UI (src/ui/browser) into dist/ui: esbuild ESM bundles with code splitting so the
// PromQL editor is its own lazily loaded chunk, hashed names, index.html, and .gz/.br copies of
// every file made here so the server never compresses at run time. Fails past the size budgets.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src/ui/browser');
const out = join(root, 'dist/ui/www');
const assets = join(out, 'assets');
const stamp = join(out, '.stamp');

// Gzip budgets in bytes (issue 15); the build fails past them.
export const BUDGETS = { entryJs: 60 * 1024, editorJs: 170 * 1024, allJs: 260 * 1024, css: 20 * 1024 };

function newest(p) {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let n = st.mtimeMs;
  for (const f of readdirSync(p)) n = Math.max(n, newest(join(p, f)));
  return n;
}
const inputs = [src, join(root, 'scripts/build-ui.mjs'), join(root, 'package-lock.json')];
if (existsSync(stamp) && statSync(stamp).mtimeMs >= Math.max(...inputs.filter(existsSync).map(newest)) && !process.argv.includes('--force')) process.exit(0);

// esbuild strips types without checking them: the browser code is type-checked here first.
execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(src, 'tsconfig.json')], { cwd: root, stdio: 'inherit' });

rmSync(out, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const result = await build({
  entryPoints: { app: join(src, 'main.tsx') },
  bundle: true,
  splitting: true,
  format: 'esm',
  target: 'es2020',
  minify: true,
  sourcemap: false,
  outdir: assets,
  entryNames: '[name]-[hash]',
  chunkNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
});

const outputs = result.metafile.outputs;
const rel = (p) => relative(assets, join(root, p));
const entryKey = Object.keys(outputs).find((k) => outputs[k].entryPoint && outputs[k].entryPoint.endsWith('main.tsx') && k.endsWith('.js'));
const cssKey = Object.keys(outputs).find((k) => k.endsWith('.css'));
const editorKey = Object.keys(outputs).find((k) => /\/editor-[^/]+\.js$/.test(k));
if (!entryKey || !editorKey) throw new Error('[build-ui] entry or editor chunk missing from the esbuild output');

/** A chunk plus every chunk it imports statically. */
function closure(key, seen = new Set()) {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const imp of outputs[key].imports) if (imp.kind === 'import-statement' && outputs[imp.path]) closure(imp.path, seen);
  return seen;
}
const entrySet = closure(entryKey);
const editorSet = [...closure(editorKey)].filter((k) => !entrySet.has(k));

const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Strata</title>
<link rel="icon" href="data:,">
${cssKey ? `<link rel="stylesheet" href="assets/${rel(cssKey)}">\n` : ''}${[...entrySet]
  .filter((k) => k !== entryKey)
  .map((k) => `<link rel="modulepreload" href="assets/${rel(k)}">\n`)
  .join('')}<script type="module" src="assets/${rel(entryKey)}"></script>
</head>
<body><div id="app"></div></body>
</html>
`;
writeFileSync(join(out, 'index.html'), html);

// Precompressed copies of everything.
const gz = new Map();
function compressAll(dir) {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) compressAll(p);
    else if (!/\.(gz|br)$/.test(f) && !f.startsWith('.')) {
      const data = readFileSync(p);
      const g = gzipSync(data, { level: 9 });
      writeFileSync(p + '.gz', g);
      writeFileSync(p + '.br', brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }));
      gz.set(p, g.length);
    }
  }
}
compressAll(out);

const size = (keys) => keys.reduce((s, k) => s + (gz.get(join(root, k)) ?? 0), 0);
const jsKeys = Object.keys(outputs).filter((k) => k.endsWith('.js'));
const figures = {
  entryJs: size([...entrySet]),
  editorJs: size(editorSet),
  allJs: size(jsKeys),
  css: cssKey ? size([cssKey]) : 0,
};
writeFileSync(join(out, 'sizes.json'), JSON.stringify({ gzipBytes: figures, budgets: BUDGETS, entry: rel(entryKey), editor: rel(editorKey) }, null, 2) + '\n');
const kb = (n) => (n / 1024).toFixed(1) + ' KB';
console.error(`[build-ui] gzip: entry ${kb(figures.entryJs)}, editor ${kb(figures.editorJs)}, all JS ${kb(figures.allJs)}, CSS ${kb(figures.css)}`);
const over = Object.entries(BUDGETS).filter(([k, v]) => figures[k] > v);
if (over.length > 0) {
  console.error(`[build-ui] over budget: ${over.map(([k, v]) => `${k} ${kb(figures[k])} > ${kb(v)}`).join(', ')}`);
  rmSync(stamp, { force: true });
  process.exit(1);
}
writeFileSync(stamp, new Date().toISOString() + '\n');
