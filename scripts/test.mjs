#!/usr/bin/env node
// Runs the vitest suites and ends with one plain 'tests: N passed, N failed, N skipped' line,
// which is what CI reads. Extra arguments go to vitest (e.g. a path filter).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.vitest-results.json');
rmSync(out, { force: true });
const args = ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)];
const r = spawnSync(join(root, 'node_modules/.bin/vitest'), args, { cwd: root, stdio: 'inherit' });
let code = r.status ?? 1;
if (existsSync(out)) {
  const res = JSON.parse(readFileSync(out, 'utf8'));
  const skipped = (res.numPendingTests ?? 0) + (res.numTodoTests ?? 0);
  console.log(`tests: ${res.numPassedTests} passed, ${res.numFailedTests} failed, ${skipped} skipped`);
  if (res.numTotalTests === 0) code = 1;
} else {
  console.log('tests: 0 passed, 1 failed');
  code = code || 1;
}
process.exit(code);
