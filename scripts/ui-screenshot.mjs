#!/usr/bin/env node
// Regenerates docs/ui-screenshot.png, the README's picture of the web UI: the browser test
// (test/ui/browser.test.ts) takes it against a real server with its test data in real Chromium.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'docs/ui-screenshot.png');
mkdirSync(dirname(out), { recursive: true });
execFileSync(process.execPath, [join(root, 'scripts/prepare.mjs')], { cwd: root, stdio: 'inherit' });
execFileSync(join(root, 'node_modules/.bin/vitest'), ['run', 'test/ui/browser.test.ts', '-t', 'README screenshot'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, STRATA_SLOW_TESTS: '1', STRATA_UI_SCREENSHOT: out },
});
console.error(`[ui-screenshot] wrote ${out}`);
