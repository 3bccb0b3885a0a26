import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { DEFAULT_TENANT, type Label, type LabelMatcher, type Labels } from '../../src/model/index.js';
import { LabelIndex } from '../../src/index/index.js';
import { tempDir } from './helpers.js';

/**
 * The same series loaded into a real Prometheus (via promtool blocks) and into the index; every
 * selector must pick the same series in both. Skipped when the binaries are not installed.
 */
const PROMETHEUS = process.env.STRATA_PROMETHEUS ?? '/usr/bin/prometheus';
const PROMTOOL = process.env.STRATA_PROMTOOL ?? '/usr/bin/promtool';
const available = existsSync(PROMETHEUS) && existsSync(PROMTOOL);

// No value holds a newline: Prometheus 3 matches regexes as ^(?s:re)$ (`.` takes newlines, as the
// index does) while the 2.x binaries often installed (2.42 here) use ^(?:re)$.
const VALUES = ['', 'a', 'b', 'ab', 'abc', 'ä', '日本', 'x\ty', 'A', 'a.b', 'host-1:9090', '\u{1F600}', 'back\\slash', 'quo"te'];
const NAMES = ['job', 'env', 'path'];
const REGEXES = [
  'a|b',
  'a.*',
  '.*',
  '.+',
  '',
  'a?',
  '(?i)A',
  '(?i)AB.*',
  '[ab]+',
  '\\w+',
  'b|',
  '日.*',
  '.',
  '..',
  'ab|abc',
  'x.y',
  '(?-s)x.y',
  'x\\ty',
  '\\s',
  'a(b|bc)?',
  'a\\.b',
  'a.b',
  'host-\\d+:.*',
  '[^a]*',
  '\\S+',
  '\\pL+',
  '[[:alpha:]]+',
  'a{2}',
  '(a|ab)(c|bcd)?',
  '.*b',
  '\\x61',
  '\\Qa.b\\E',
  '^a$',
  '(?s:.)+',
  '\\x{1F600}',
  '[\\x{1F600}-\\x{1F64F}]',
  'back\\\\slash',
  'quo"te',
];

const T = DEFAULT_TENANT;
let work: { dir: string; cleanup: () => void };
let idx: LabelIndex;
let prom: ChildProcess | undefined;
let base = '';
const series: Labels[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** OpenMetrics label value escaping: backslash, double quote, newline. */
function omEscape(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A PromQL selector for matchers (string literals use Go escapes, which JSON's are a subset of). */
function selector(ms: readonly LabelMatcher[]): string {
  return `{${ms.map((m) => `${m.name}${m.type}${JSON.stringify(m.value)}`).join(', ')}}`;
}

const canon = (l: Labels): string => JSON.stringify(l.map((x) => [x.name, x.value]));

async function promSeries(ms: readonly LabelMatcher[], start: number, end: number): Promise<string[]> {
  const url = `${base}/api/v1/series?match[]=${encodeURIComponent(selector(ms))}&start=${start}&end=${end}`;
  const res = await fetch(url);
  const body = (await res.json()) as { status: string; data: Record<string, string>[]; error?: string };
  if (body.status !== 'success') throw new Error(`Prometheus rejected ${selector(ms)}: ${body.error}`);
  return body.data
    .map((o) =>
      canon(
        Object.entries(o)
          .map(([name, value]) => ({ name, value }))
          .sort((a, b) => (a.name < b.name ? -1 : 1)),
      ),
    )
    .sort();
}

const nowSec = Math.floor(Date.now() / 1000) - 600;

beforeAll(async () => {
  if (!available) return;
  work = tempDir('prom');
  idx = LabelIndex.open(join(work.dir, 'index'));
  const rows = fc.sample(fc.tuple(fc.constantFrom('m_a', 'm_b'), ...NAMES.map(() => fc.constantFrom(...VALUES))), { numRuns: 400, seed: 99 });
  const seen = new Set<string>();
  for (const [name, ...vals] of rows) {
    const labels: Label[] = [{ name: '__name__', value: name }];
    NAMES.forEach((n, i) => {
      if (vals[i] !== '') labels.push({ name: n, value: vals[i]! });
    });
    labels.sort((a, b) => (a.name < b.name ? -1 : 1));
    const key = canon(labels);
    if (seen.has(key)) continue;
    seen.add(key);
    series.push(labels);
  }
  idx.resolve(T, series, Math.floor(nowSec / 86400));
  // OpenMetrics wants each metric family contiguous.
  const lines: string[] = [];
  for (const fam of ['m_a', 'm_b']) {
    lines.push(`# TYPE ${fam} gauge`);
    for (const l of series.filter((s) => s[0]!.value === fam)) {
      const rest = l.filter((x) => x.name !== '__name__').map((x) => `${x.name}="${omEscape(x.value)}"`);
      lines.push(`${fam}{${rest.join(',')}} 1 ${nowSec}`);
    }
  }
  lines.push('# EOF');
  const om = join(work.dir, 'data.om');
  writeFileSync(om, lines.join('\n') + '\n');
  const tsdb = join(work.dir, 'tsdb');
  execFileSync(PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', om, tsdb], { stdio: 'pipe' });
  const cfg = join(work.dir, 'prometheus.yml');
  writeFileSync(cfg, 'global: {}\n');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  prom = spawn(
    PROMETHEUS,
    [`--config.file=${cfg}`, `--storage.tsdb.path=${tsdb}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=30d'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/-/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('Prometheus did not become ready');
}, 60_000);

afterAll(() => {
  if (prom?.pid) process.kill(prom.pid, 'SIGKILL');
  idx?.close();
  work?.cleanup();
});

describe.skipIf(!available)('the index selects exactly what Prometheus selects', () => {
  const nameMatcher: LabelMatcher = { name: '__name__', type: '=~', value: 'm_.+' };

  async function compare(ms: LabelMatcher[]): Promise<void> {
    const want = await promSeries(ms, nowSec - 60, nowSec + 60);
    const got = idx
      .select(T, ms, (nowSec - 60) * 1000, (nowSec + 60) * 1000)
      .map((id) => canon(idx.labelsOf(id)))
      .sort();
    expect(got, selector(ms)).toEqual(want);
  }

  it('has loaded the same series into both', async () => {
    expect(await promSeries([nameMatcher], nowSec - 60, nowSec + 60)).toHaveLength(series.length);
  });

  it('for every single matcher on every label (=, != over values; =~, !~ over regex edge cases)', async () => {
    for (const name of NAMES) {
      for (const value of VALUES) for (const type of ['=', '!='] as const) await compare([nameMatcher, { name, type, value }]);
      for (const value of REGEXES) for (const type of ['=~', '!~'] as const) await compare([nameMatcher, { name, type, value }]);
    }
  });

  it('for random combinations of matchers', async () => {
    const arb = fc.array(
      fc.oneof(
        fc.record({ name: fc.constantFrom(...NAMES), type: fc.constantFrom('=' as const, '!=' as const), value: fc.constantFrom(...VALUES) }),
        fc.record({ name: fc.constantFrom(...NAMES), type: fc.constantFrom('=~' as const, '!~' as const), value: fc.constantFrom(...REGEXES) }),
      ),
      { minLength: 1, maxLength: 3 },
    );
    for (const ms of fc.sample(arb, { numRuns: 150, seed: 4 })) await compare([{ name: '__name__', type: '=', value: 'm_a' }, ...ms]);
  });

  it('for label values', async () => {
    for (const name of ['__name__', ...NAMES]) {
      const res = (await (await fetch(`${base}/api/v1/label/${name}/values`)).json()) as { data: string[] };
      expect(idx.labelValues(T, name, [], -Infinity, Infinity), name).toEqual(res.data);
    }
  });
});
