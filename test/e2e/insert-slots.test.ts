/**
 * Insert slots (--maxConcurrentInserts) under clients that misbehave at the socket level: a body
 * aborted halfway, a body that never finishes, a malformed Content-Length, slowloris dribbling.
 * Raw sockets (node:net) against the real server; afterwards a normal write must be answered at
 * once and /metrics must show no slot held.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startStrata, type StrataProcess } from '../helpers/strata-process.js';
import { RW1_HEADERS, series, writeV1 } from './client.js';

const SLOTS = 2;
let server: StrataProcess | null = null;

afterEach(async () => {
  await server?.stop();
  server = null;
});

function head(path: string, contentLength: string): string {
  return `POST ${path} HTTP/1.1\r\nHost: strata\r\nContent-Type: ${RW1_HEADERS['Content-Type']}\r\nContent-Encoding: snappy\r\nContent-Length: ${contentLength}\r\n\r\n`;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

/** What the server sent until it closed the connection (or `waitMs` passed). */
function answer(s: Socket, waitMs: number): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (text += d));
    const timer = setTimeout(() => resolve({ text, closed: false }), waitMs);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    s.on('error', () => undefined);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function slotsHeld(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^strata_concurrent_inserts_current (\d+)$/m.exec(text);
  if (!m) throw new Error('strata_concurrent_inserts_current is missing from /metrics');
  return Number(m[1]);
}

/** A good write answered 204 quickly: no slot leaked. */
async function expectWritesFlow(url: string): Promise<void> {
  const t0 = Date.now();
  const now = Date.now();
  const r = await writeV1(url, [series('slot_probe', { at: String(now) }, [now], [1])]);
  expect(r.status).toBe(204);
  expect(Date.now() - t0).toBeLessThan(2000);
}

describe('insert slots are released on every path', () => {
  it('bodies the client aborts halfway give their slots back', async () => {
    server = await startStrata({ args: [`--maxConcurrentInserts=${SLOTS}`] });
    for (let i = 0; i < SLOTS * 3; i++) {
      const s = await open(server.port);
      s.write(head('/api/v1/write', '1000') + 'partial body');
      await sleep(50);
      s.destroy();
    }
    await sleep(300);
    expect(await slotsHeld(server.url)).toBe(0);
    await expectWritesFlow(server.url);
  });

  it('a body that never finishes is answered 408 at the body-read deadline and its slot freed', async () => {
    server = await startStrata({ args: [`--maxConcurrentInserts=${SLOTS}`, '--insert.maxBodyReadDuration=1s'] });
    const stalled = await Promise.all(Array.from({ length: SLOTS }, () => open(server!.port)));
    for (const s of stalled) s.write(head('/api/v1/write', '1000') + 'twelve bytes');
    await sleep(200);
    expect(await slotsHeld(server.url)).toBe(SLOTS);
    const answers = await Promise.all(stalled.map((s) => answer(s, 5000)));
    for (const a of answers) {
      expect(a.text).toMatch(/^HTTP\/1\.1 408 /);
      expect(a.text).toContain('--insert.maxBodyReadDuration');
      expect(a.closed).toBe(true);
    }
    expect(await slotsHeld(server.url)).toBe(0);
    await expectWritesFlow(server.url);
  });

  it('malformed Content-Length headers never keep a slot', async () => {
    server = await startStrata({ args: [`--maxConcurrentInserts=${SLOTS}`] });
    for (const cl of ['5 7', '1,2', ' 10', '+10', 'abc', '-1', '99999999999999999999']) {
      const s = await open(server.port);
      s.on('error', () => undefined);
      s.write(head('/api/v1/write', cl) + 'hello');
      await sleep(50);
      s.destroy();
    }
    await sleep(300);
    expect(await slotsHeld(server.url)).toBe(0);
    await expectWritesFlow(server.url);
  });

  it('slowloris connections are cut at the deadline and leave ingestion working', async () => {
    server = await startStrata({ args: [`--maxConcurrentInserts=${SLOTS}`, '--insert.maxBodyReadDuration=2s'] });
    const conns = await Promise.all(Array.from({ length: 20 }, () => open(server!.port)));
    const closed = conns.map((s) => answer(s, 8000));
    for (const s of conns) s.write(head('/api/v1/write', '100000'));
    // One byte per 200 ms each: none of them can finish its body before the deadline.
    const drip = setInterval(() => {
      for (const s of conns) if (!s.destroyed) s.write('x');
    }, 200);
    try {
      const results = await Promise.all(closed);
      expect(results.every((r) => r.closed)).toBe(true);
    } finally {
      clearInterval(drip);
      for (const s of conns) s.destroy();
    }
    await sleep(200);
    expect(await slotsHeld(server.url)).toBe(0);
    await expectWritesFlow(server.url);
  });

  it('slowloris connections closed by the client free their slots at once', async () => {
    server = await startStrata({ args: [`--maxConcurrentInserts=${SLOTS}`] });
    const conns = await Promise.all(Array.from({ length: 10 }, () => open(server!.port)));
    for (const s of conns) {
      s.on('error', () => undefined);
      s.write(head('/api/v1/write', '100000') + 'x');
    }
    await sleep(500);
    for (const s of conns) s.destroy();
    await sleep(300);
    expect(await slotsHeld(server.url)).toBe(0);
    await expectWritesFlow(server.url);
  });
});
