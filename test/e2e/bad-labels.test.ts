/**
 * Labels the index cannot hold (a NUL in a name; a name and value over its ~1,900-byte key limit)
 * are bad input: every write protocol answers 400 naming the problem and stores the rest of the
 * request; every read endpoint answers 400 for such a selector or name. Never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStrata, type StrataProcess } from '../helpers/strata-process.js';
import { series, writeV1, writeV2 } from './client.js';

let s: StrataProcess;
beforeAll(async () => {
  s = await startStrata();
});
afterAll(async () => {
  await s.stop();
});

const LONG = 'x'.repeat(2000);
const now = Date.now();
const nowSec = Math.floor(now / 1000);

async function exported(metric: string): Promise<string[]> {
  const r = await fetch(`${s.url}/api/v1/export?${new URLSearchParams({ 'match[]': metric })}`);
  expect(r.status).toBe(200);
  return (await r.text()).split('\n').filter((l) => l !== '');
}

async function expectBadWrite(r: Response, problem: RegExp, good: string): Promise<void> {
  const body = await r.text();
  expect(r.status, body).toBe(400);
  expect(body).toMatch(problem);
  expect(await exported(good)).toHaveLength(1);
}

const NUL_NAME = /label names cannot contain NUL/;
const TOO_LONG = /too long for the index: name and value together are 2001 bytes, the limit is 1900/;

describe('writes with labels the index cannot hold', () => {
  for (const [proto, write] of [
    ['remote write 1.0', writeV1],
    ['remote write 2.0', writeV2],
  ] as const) {
    it(`${proto}: a NUL in a label name drops only that series, with 400`, async () => {
      const good = `good_nul_${proto.replace(/\W/g, '_')}`;
      const r = await write(s.url, [series('bad', { 'a\u0000b': '1' }, [now], [1]), series(good, {}, [now], [1])]);
      await expectBadWrite(r, NUL_NAME, good);
    });

    it(`${proto}: a label over the index key limit drops only that series, with 400`, async () => {
      const good = `good_long_${proto.replace(/\W/g, '_')}`;
      const r = await write(s.url, [series('bad', { a: LONG }, [now], [1]), series(good, {}, [now], [1])]);
      await expectBadWrite(r, TOO_LONG, good);
    });
  }

  it('JSON-lines import: NUL names and over-long labels drop only their series', async () => {
    const lines = [
      JSON.stringify({ metric: { __name__: 'bad', 'a\u0000b': '1' }, values: [1], timestamps: [now] }),
      JSON.stringify({ metric: { __name__: 'bad', a: LONG }, values: [1], timestamps: [now] }),
      JSON.stringify({ metric: { __name__: 'good_import' }, values: [1], timestamps: [now] }),
    ];
    const r = await fetch(`${s.url}/api/v1/import`, { method: 'POST', body: lines.join('\n') + '\n' });
    const body = await r.text();
    expect(r.status, body).toBe(400);
    expect(body).toMatch(/dropped 2 invalid series/);
    expect(body).toMatch(NUL_NAME);
    expect(body).toMatch(TOO_LONG);
    expect(await exported('good_import')).toHaveLength(1);
  });

  it('Prometheus text import: an over-long label drops only its series', async () => {
    const r = await fetch(`${s.url}/api/v1/import/prometheus`, { method: 'POST', body: `bad{a="${LONG}"} 1\ngood_text 1\n` });
    await expectBadWrite(r, TOO_LONG, 'good_text');
  });

  it('Influx line protocol: an over-long tag drops only its series', async () => {
    const r = await fetch(`${s.url}/write?precision=ms`, { method: 'POST', body: `bad,a=${LONG} f=1 ${now}\ngood_influx f=1 ${now}\n` });
    await expectBadWrite(r, /too long for the index/, 'good_influx_f');
  });
});

describe('reads with selectors or names the index cannot hold', () => {
  const longSelector = `{a="${LONG}"}`;
  for (const path of ['/api/v1/labels', '/api/v1/label/a/values', '/api/v1/status/tsdb', '/api/v1/series', '/api/v1/export', '/federate']) {
    it(`${path} answers 400 for an over-long match[]`, async () => {
      const r = await fetch(`${s.url}${path}?${new URLSearchParams({ 'match[]': longSelector })}`);
      const body = await r.text();
      expect(r.status, body).toBe(400);
      expect(body).toContain('is too long: name and value together are 2001 bytes');
    });
  }

  it('/api/v1/query answers 400 for an over-long matcher and for a NUL in a label name', async () => {
    for (const [q, problem] of [
      [longSelector, 'is too long'],
      ['{"a\\x00b"="1"}', 'label names cannot contain NUL'],
    ] as const) {
      const r = await fetch(`${s.url}/api/v1/query?${new URLSearchParams({ query: q, time: String(nowSec) })}`);
      const body = await r.text();
      expect(r.status, body).toBe(400);
      expect(body).toContain(problem);
    }
  });

  it('/api/v1/label/<name>/values answers 400 for a name over the key limit', async () => {
    const r = await fetch(`${s.url}/api/v1/label/${LONG}/values`);
    const body = await r.text();
    expect(r.status, body).toBe(400);
    expect(body).toContain("longer than the index's limit of 1900 bytes");
  });

  it('/api/v1/status/tsdb answers 400 for a focusLabel over the key limit', async () => {
    const r = await fetch(`${s.url}/api/v1/status/tsdb?${new URLSearchParams({ focusLabel: LONG })}`);
    expect(r.status).toBe(400);
  });
});
