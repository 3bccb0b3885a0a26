#!/usr/bin/env node
/**
 * The import rules `npm run lint` enforces over src/ (not the browser app, not generated code):
 * 1. a module imports another folder's module only through that folder's index.ts (its face);
 * 2. nothing imports upward: each folder (or top-level file) of src/ sits in a layer, and a module
 *    may import only from its own layer or below — type-only imports included.
 * dependency-cruiser and ESLint's import plugins parse TypeScript with the `typescript` package's
 * JS API, which TypeScript 7 (the native compiler this project builds with) no longer has; the
 * imports of this code base are plain `import … from '…'` statements, read here directly.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bottom first: the README's Layout, as layers. */
export const LAYERS = [
  ['model', 'varint.ts', 'go-format', 'logger.ts', 'version.ts', 'duration-flag.ts', 'metrics.ts', 'runtime', 'regex'],
  ['codec'],
  ['index', 'storage'],
  ['ingest', 'promql'],
  ['lifecycle', 'snapshot', 'exemplars', 'query-cache', 'query-budget'],
  ['db', 'config.ts'],
  ['forward', 'remote-read'],
  ['server', 'backup'],
  ['ui'],
  ['app'],
  ['cli.ts', 'healthcheck.ts'],
];

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const SKIP = [/^ui\/browser\//, /(^|\/)generated\//];

function* walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.name.endsWith('.ts')) yield p;
  }
}

/** The unit (folder, or top-level file) a path under src/ belongs to. */
function unitOf(rel) {
  const [first, second] = rel.split('/');
  return second === undefined ? first.replace(/\.js$/, '.ts') : first;
}

const layerOf = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i])));

export function check() {
  const problems = [];
  for (const file of walk(src)) {
    const rel = relative(src, file);
    if (SKIP.some((re) => re.test(rel))) continue;
    const from = unitOf(rel);
    if (!layerOf.has(from)) problems.push(`${rel}: src/${from} is in no layer of scripts/lint-imports.mjs`);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'(\.{1,2}\/[^']+)'/gms)) {
      const target = normalize(join(dirname(rel), m[1]));
      if (target.startsWith('..')) {
        problems.push(`${rel}: imports ${m[1]}, outside src/`);
        continue;
      }
      const to = unitOf(target);
      if (to === from) continue;
      const line = text.slice(0, m.index + m[0].indexOf(m[1])).split('\n').length;
      const where = `src/${rel}:${line}`;
      if (target.includes('/') && !target.endsWith('/index.js'))
        problems.push(`${where}: imports ${m[1]}; another folder's modules are reached through its index.ts`);
      if (!layerOf.has(to)) problems.push(`${where}: imports src/${to}, which is in no layer`);
      else if (layerOf.get(to) > layerOf.get(from))
        problems.push(`${where}: src/${from} imports upward from src/${to} (see LAYERS in scripts/lint-imports.mjs)`);
    }
  }
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const problems = check();
  for (const p of problems) console.error(p);
  console.log(problems.length === 0 ? 'imports: ok' : `imports: ${problems.length} problem(s)`);
  process.exit(problems.length === 0 ? 0 : 1);
}
