import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { errorLine, runMicro } from '../../bench/micro.js';
import { ensureBinary } from '../../bench/targets/install.js';
import { renderUnknown } from '../../bench/report.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-micro-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('micro benchmark runner', () => {
  it('reports a module that does not exist yet as n/a instead of failing', async () => {
    const r = await runMicro({ file: 'nothing.js', fn: 'runNothing', name: 'nothing' }, { quick: true, timeoutMs: 5000 }, dir);
    expect(r.error).toBe('nothing.ts not written yet');
  });

  it('returns what the benchmark function returned, with the quick argument passed in', async () => {
    writeFileSync(
      join(dir, 'ok.js'),
      'export const DEFAULTS = { a: 1 };\nexport async function runOk(o) { console.log("noise"); return [{ name: "x", opts: o }]; }\n',
    );
    const r = await runMicro({ file: 'ok.js', fn: 'runOk', name: 'ok', quickArg: '{ ...m.DEFAULTS, quick: true }' }, { quick: true, timeoutMs: 10_000 }, dir);
    expect(r.error).toBe('');
    expect(r.result).toEqual([{ name: 'x', opts: { a: 1, quick: true } }]);
  });

  it('kills a benchmark that outlives its time limit and says so', async () => {
    writeFileSync(join(dir, 'hang.js'), 'export function runHang() { for (;;) {} }\n');
    const r = await runMicro({ file: 'hang.js', fn: 'runHang', name: 'hang' }, { quick: false, timeoutMs: 500 }, dir);
    expect(r.error).toBe('timed out after 0.5 s');
  });

  it('gives the error line of a benchmark that throws', async () => {
    writeFileSync(join(dir, 'bad.js'), 'export function runBad() { throw new TypeError("no data"); }\n');
    const r = await runMicro({ file: 'bad.js', fn: 'runBad', name: 'bad' }, { quick: true, timeoutMs: 10_000 }, dir);
    expect(r.error).toMatch(/^TypeError: no data/);
  });

  it('picks the named error out of a Node stack trace', () => {
    expect(errorLine('file:///x.js:3\n  throw e;\n\nRangeError [ERR_X]: bad size\n    at f (x.js:1:1)\nNode.js v20')).toBe('RangeError [ERR_X]: bad size');
  });

  it('renders rows of objects as a table and plain objects as key/value pairs', () => {
    expect(renderUnknown([{ op: 'decode', rate: 1234567 }])).toContain('| decode | 1,234,567 |');
    expect(renderUnknown({ rows: [{ a: 1 }] })).toContain('| 1 |');
    expect(renderUnknown({ backend: 'wasm' })).toContain('| backend | wasm |');
  });
});

describe('finding the comparison systems', () => {
  it('says how to install a missing binary when installing is not allowed', () => {
    const r = ensureBinary('strata-no-such-binary', 'no-such-package', false);
    expect(r.path).toBeNull();
    expect(r.reason).toBe('strata-no-such-binary not found (install with: apt-get install -y no-such-package)');
  });
});
