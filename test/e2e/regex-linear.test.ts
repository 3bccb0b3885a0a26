/**
 * Every user-supplied regex runs in linear time, as RE2 does in Prometheus: catastrophic patterns
 * for a backtracking engine (`(a+)+$`, `(a|a)*$`, `(a*)*b`) on long values answer at once, and the
 * process still obeys SIGTERM. Over the real server: label_replace in queries, relabeling on ingest.
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startStrata, tempDir, type StrataProcess } from '../helpers/strata-process.js';
import { series, writeV1 } from './client.js';

let server: StrataProcess | null = null;

afterEach(async () => {
  await server?.stop('SIGKILL');
  server = null;
});

const LONG = 100_000;

interface QueryAnswer {
  status: number;
  result: Array<{ metric: Record<string, string> }>;
}

async function query(url: string, q: string, timeSec = 1_700_000_000): Promise<QueryAnswer> {
  const r = await fetch(`${url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: q, time: String(timeSec) }) });
  const body = (await r.json()) as { data?: { result: Array<{ metric: Record<string, string> }> } };
  return { status: r.status, result: body.data?.result ?? [] };
}

/** label_replace on a series whose label `v` holds `value` (set by an inner label_replace). */
function replaceOn(value: string, regex: string): string {
  return `label_replace(label_replace(vector(1), "v", "${value}", "", ""), "x", "$1", "v", "${regex}")`;
}

describe('user regexes run in linear time', () => {
  it('label_replace with catastrophic patterns on 100k-character values answers within seconds', async () => {
    server = await startStrata();
    const cases: Array<[string, string, string | undefined]> = [
      ['(a+)+$', 'a'.repeat(LONG) + '!', undefined],
      ['(a|a)*$', 'a'.repeat(LONG) + '!', undefined],
      ['(a*)*b', 'a'.repeat(LONG), undefined],
      ['(.*a){12}', 'a'.repeat(LONG) + '!', undefined],
      ['(a+)+$', 'a'.repeat(LONG), 'a'.repeat(LONG)],
    ];
    for (const [regex, value, expected] of cases) {
      const t0 = Date.now();
      const r = await query(server.url, replaceOn(value, regex));
      expect(r.status, regex).toBe(200);
      expect(r.result[0]!.metric['x'], regex).toBe(expected);
      expect(Date.now() - t0, regex).toBeLessThan(5000);
    }
  });

  it('label_replace capture groups expand as Go expands them', async () => {
    server = await startStrata();
    const r = await query(
      server.url,
      'label_replace(label_replace(vector(1), "v", "host-9090-x", "", ""), "x", "$2/${1}/$name", "v", "(?P<name>[a-z]+)-(\\\\d+)(?:-.*)?")',
    );
    expect(r.status).toBe(200);
    expect(r.result[0]!.metric['x']).toBe('9090/host/host');
  });

  it('SIGTERM stops the server while a catastrophic regex query is running', async () => {
    server = await startStrata();
    const pending = query(server.url, replaceOn('a'.repeat(LONG) + '!', '(a+)+$')).catch(() => null);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    const code = await Promise.race([server.stop('SIGTERM'), new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(15_000);
    await pending;
  });

  it('a catastrophic relabel regex does not stall ingestion', async () => {
    const dir = tempDir('strata-relabel-re-');
    const file = join(dir, 'relabel.yml');
    writeFileSync(file, "- source_labels: [v]\n  regex: '(a+)+$'\n  target_label: x\n  replacement: '$1'\n");
    server = await startStrata({ args: [`--relabelConfig=${file}`] });
    const now = Date.now();
    const t0 = Date.now();
    const r = await writeV1(server.url, [
      series('relabel_re', { v: 'a'.repeat(1800) + '!' }, [now], [1]),
      series('relabel_re', { v: 'a'.repeat(1800) }, [now], [2]),
    ]);
    expect(r.status).toBe(204);
    expect(Date.now() - t0).toBeLessThan(5000);
    const q = await query(server.url, 'relabel_re{x!=""}', now / 1000);
    // Only the value that matches got the target label.
    expect(q.status).toBe(200);
    expect(q.result.map((s) => s.metric['x'])).toEqual(['a'.repeat(1800)]);
  });
});
