/**
 * Requests past a limit get their 4xx, readable by the client: an oversized import's 413 arrives
 * before the connection closes (the body is drained, not reset), and export/federation answer
 * 400 for selectors the index cannot look up instead of dropping the connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStrata, type StrataProcess } from '../helpers/strata-process.js';
import { series, writeV1 } from './client.js';

let s: StrataProcess;
beforeAll(async () => {
  s = await startStrata();
});
afterAll(async () => {
  await s.stop();
});

describe('limits are answered, not reset', () => {
  it('a 101 MB import gets a 413 the client reads, every time', async () => {
    const body = new Uint8Array(101 * 1024 * 1024).fill(0x20);
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${s.url}/api/v1/import`, { method: 'POST', body });
      expect(r.status).toBe(413);
      expect(await r.text()).toContain('exceeds the limit of 32000000 bytes (--maxInsertRequestSize)');
    }
    const now = Date.now();
    expect((await writeV1(s.url, [series('after_413', {}, [now], [1])])).status).toBe(204);
  });

  it('a large body answered before it is read (wrong Content-Type) gets its 415, every time', async () => {
    const body = new Uint8Array(20 * 1024 * 1024).fill(0x20);
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${s.url}/api/v1/write`, { method: 'POST', body, headers: { 'Content-Type': 'text/plain' } });
      expect(r.status).toBe(415);
      await r.text();
    }
  });

  for (const path of ['/api/v1/export', '/federate']) {
    it(`${path} answers 400 for a selector over the index key limit`, async () => {
      const r = await fetch(`${s.url}${path}?${new URLSearchParams({ 'match[]': `{job="${'j'.repeat(3000)}"}` })}`);
      const body = await r.text();
      expect(r.status, body).toBe(400);
      expect(body).toContain('is too long');
    });

    it(`${path} answers 400 for a bad start or time argument`, async () => {
      const r = await fetch(`${s.url}${path}?${new URLSearchParams({ 'match[]': 'up', start: 'yesterday', time: 'yesterday' })}`);
      expect(r.status).toBe(400);
    });
  }

  it('a 30 KB query URL gets an answer', async () => {
    const r = await fetch(`${s.url}/api/v1/query?${new URLSearchParams({ query: `up{job=~"${'a|'.repeat(15_000)}b"}` })}`);
    expect(r.status).toBe(200);
  });
});
