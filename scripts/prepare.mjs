#!/usr/bin/env node
// Makes a fresh clone runnable: installs dependencies and builds dist/ when they are missing or
// older than their sources. Uses only Node built-ins because it runs before anything is installed.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);

function newest(p) {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let n = 0;
  for (const f of readdirSync(p)) if (f !== 'generated') n = Math.max(n, newest(join(p, f)));
  return n;
}

const installed = join(root, 'node_modules/.package-lock.json');
if (!existsSync(installed) || mtime(installed) < mtime(join(root, 'package.json'))) {
  console.error('[prepare] installing dependencies');
  // `npm install` honours package-lock.json; `npm ci` is avoided because npm 11 rejects lock files
  // that omit other platforms' optional binaries (lmdb's msgpackr-extract), however generated.
  execFileSync(npm, ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
}

const stamp = join(root, 'dist/.build-stamp');
const inputs = ['src', 'native', 'scripts/build.mjs', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];
if (mtime(stamp) < Math.max(...inputs.map((p) => newest(join(root, p))))) {
  console.error('[prepare] building dist/');
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
}
