#!/usr/bin/env node
// Where a running Strata's resident memory is: /proc/<pid>/smaps split into LMDB's map, WASM
// memories, glibc malloc arenas, V8 heap pages, other anonymous memory, code and files, and (with
// --inspect) each thread's V8 heap and external/ArrayBuffer memory read over the inspector.
//
//   node scripts/rss-breakdown.mjs --pid PID [--inspect 127.0.0.1:9229] [--every SEC --count N] [--json]
//
// Start the server with `node --inspect=127.0.0.1:9229 dist/cli.js serve ...` for the per-thread
// part (the bench: STRATA_BENCH_NODE_ARGS=--inspect=127.0.0.1:9229). With --every it samples
// repeatedly, prints one line per sample and the full breakdown of the sample with the largest RSS
// (--json: every sample as one JSON line instead).
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function parseArgs(argv) {
  const o = { pid: 0, inspect: '', every: 0, count: 1, json: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--pid') o.pid = Number(value());
    else if (flag === '--inspect') o.inspect = value();
    else if (flag === '--every') o.every = Number(value());
    else if (flag === '--count') o.count = Number(value());
    else if (flag === '--json') o.json = true;
    else throw new Error(`unknown flag ${flag}`);
  }
  if (!(o.pid > 0)) throw new Error('--pid PID is required');
  return o;
}

/** Mappings of /proc/pid/smaps with their size, Rss and name. */
function readSmaps(pid) {
  const maps = [];
  let cur = null;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      cur = { start: BigInt('0x' + head[1]), end: BigInt('0x' + head[2]), perms: head[3], name: head[4], rss: 0, anon: 0 };
      cur.size = Number(cur.end - cur.start);
      maps.push(cur);
      continue;
    }
    const kv = /^(Rss|Anonymous):\s+(\d+) kB/.exec(line);
    if (kv && cur) cur[kv[1] === 'Rss' ? 'rss' : 'anon'] = Number(kv[2]) * 1024;
  }
  return maps;
}

/**
 * Anonymous memory is told apart by the shape of its reservation: a WASM memory is a committed
 * head followed by an inaccessible tail, ≥ 4 GiB in all (V8's guard regions); a glibc arena heap is
 * 64 MiB aligned to 64 MiB; V8 heap pages are 256 KiB-aligned runs of 256 KiB. The rest (malloc's
 * mmapped chunks over MALLOC_MMAP_THRESHOLD_, thread stacks, V8's large objects) is "other anon".
 */
function classify(maps) {
  const out = {};
  const add = (k, v) => (out[k] = (out[k] ?? 0) + v);
  for (let i = 0; i < maps.length; i++) {
    const m = maps[i];
    if (m.rss === 0) continue;
    const n = m.name;
    if (n.endsWith('.mdb')) add('lmdb map (file pages)', m.rss);
    else if (n === '[heap]') add('malloc main arena (brk)', m.rss);
    else if (n === '[stack]') add('main stack', m.rss);
    else if (n.startsWith('/') && /\.so(\.|$)/.test(n)) add('shared libraries', m.rss);
    else if (n.startsWith('/') && /\/node$/.test(n)) add('node binary', m.rss);
    else if (n.startsWith('/')) add(`file ${n.replace(/^.*\//, '')}`, m.rss);
    else if (n.startsWith('[')) add(n, m.rss);
    else {
      // Group with the following inaccessible neighbour(s) of the same reservation.
      let end = m.end;
      let j = i + 1;
      while (j < maps.length && maps[j].start === end && maps[j].perms.startsWith('---') && maps[j].name === '') end = maps[j++].end;
      const reserved = Number(end - m.start);
      if (reserved >= 4 * GiB) add('wasm memories', m.rss);
      else if (reserved === 64 * MiB && m.start % BigInt(64 * MiB) === 0n) add('malloc arenas (threads)', m.rss);
      else if (m.start % 262144n === 0n && m.size % 262144 === 0) add('v8-like 256K pages', m.rss);
      else add('other anon', m.rss);
    }
  }
  out.total = maps.reduce((s, m) => s + m.rss, 0);
  return out;
}

/** A minimal WebSocket client (text frames) for the inspector. */
async function wsConnect(url) {
  const u = new URL(url);
  const sock = connect(Number(u.port), u.hostname);
  await new Promise((res, rej) => sock.once('connect', res).once('error', rej));
  const key = randomBytes(16).toString('base64');
  sock.write(
    `GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let buf = Buffer.alloc(0);
  let upgraded = false;
  const listeners = [];
  let onUpgrade;
  const upgrade = new Promise((res, rej) => (onUpgrade = (err) => (err ? rej(err) : res())));
  sock.once('close', () => onUpgrade(new Error('inspector closed the connection')));
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    if (!upgraded) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const status = buf.subarray(0, buf.indexOf('\r\n')).toString();
      if (!/ 101 /.test(status)) {
        sock.destroy();
        onUpgrade(new Error(`inspector refused the session: ${status}`));
        return;
      }
      buf = buf.subarray(end + 4);
      upgraded = true;
      onUpgrade(null);
    }
    for (;;) {
      if (buf.length < 2) return;
      let len = buf[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        off = 10;
      }
      if (buf.length < off + len) return;
      const opcode = buf[0] & 0x0f;
      const payload = buf.subarray(off, off + len).toString('utf8');
      buf = buf.subarray(off + len);
      if (opcode === 1) for (const l of listeners) l(JSON.parse(payload));
    }
  });
  await upgrade;
  return {
    send(obj) {
      const data = Buffer.from(JSON.stringify(obj));
      const mask = randomBytes(4);
      const head = data.length < 126 ? Buffer.from([0x81, 0x80 | data.length]) : Buffer.alloc(data.length < 65536 ? 4 : 10);
      if (data.length >= 126 && data.length < 65536) {
        head[0] = 0x81;
        head[1] = 0x80 | 126;
        head.writeUInt16BE(data.length, 2);
      } else if (data.length >= 65536) {
        head[0] = 0x81;
        head[1] = 0x80 | 127;
        head.writeBigUInt64BE(BigInt(data.length), 2);
      }
      for (let i = 0; i < data.length; i++) data[i] ^= mask[i & 3];
      sock.write(Buffer.concat([head, mask, data]));
    },
    on(fn) {
      listeners.push(fn);
    },
    async close() {
      const mask = randomBytes(4);
      sock.write(Buffer.concat([Buffer.from([0x88, 0x80]), mask]));
      await sleep(100);
      sock.destroy();
    },
  };
}

const PROBE = `(() => { const v8 = process.getBuiltinModule('v8'); const wt = process.getBuiltinModule('worker_threads');
  const m = process.memoryUsage(); const h = v8.getHeapStatistics();
  return JSON.stringify({ thread: wt.isMainThread ? 'main' : String(wt.threadId), heapTotal: m.heapTotal, heapUsed: m.heapUsed,
    external: m.external, arrayBuffers: m.arrayBuffers, committed: h.total_physical_size, mallocedMemory: h.malloced_memory,
    spaces: Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.physical_space_size])) }); })()`;

/** An inspector session on the main thread, attached to every worker: probe() reads each thread's V8 figures. */
async function openInspector(inspect) {
  const dbg = process.env.RSS_BREAKDOWN_DEBUG ? (m) => process.stderr.write(`[dbg] ${m}\n`) : () => {};
  const list = await (await fetch(`http://${inspect}/json/list`, { headers: { connection: 'close' } })).json();
  dbg('listed');
  const ws = await wsConnect(list[0].webSocketDebuggerUrl);
  dbg('connected');
  let id = 0;
  const pending = new Map();
  const workers = [];
  ws.on((msg) => {
    dbg(JSON.stringify(msg).slice(0, 120));
    if (msg.id !== undefined && pending.has(`main:${msg.id}`)) {
      pending.get(`main:${msg.id}`)(msg);
      pending.delete(`main:${msg.id}`);
    } else if (msg.method === 'NodeWorker.attachedToWorker') workers.push({ sessionId: msg.params.sessionId, url: msg.params.workerInfo.url });
    else if (msg.method === 'NodeWorker.detachedFromWorker') {
      const i = workers.findIndex((w) => w.sessionId === msg.params.sessionId);
      if (i >= 0) workers.splice(i, 1);
    } else if (msg.method === 'NodeWorker.receivedMessageFromWorker') {
      const inner = JSON.parse(msg.params.message);
      const key = `${msg.params.sessionId}:${inner.id}`;
      if (pending.has(key)) {
        pending.get(key)(inner);
        pending.delete(key);
      }
    }
  });
  const call = (method, params = {}) =>
    new Promise((res) => {
      const i = ++id;
      pending.set(`main:${i}`, res);
      ws.send({ id: i, method, params });
    });
  const callWorker = (sessionId, method, params) =>
    Promise.race([
      new Promise((res) => {
        const i = ++id;
        pending.set(`${sessionId}:${i}`, res);
        ws.send({ id: ++id, method: 'NodeWorker.sendMessageToWorker', params: { sessionId, message: JSON.stringify({ id: i, method, params }) } });
      }),
      sleep(5000).then(() => null),
    ]);
  await call('NodeWorker.enable', { waitForDebuggerOnStart: false });
  await sleep(300);
  return {
    async probe() {
      const out = [];
      const main = await call('Runtime.evaluate', { expression: PROBE, returnByValue: true });
      out.push({ ...JSON.parse(main.result.result.value), url: 'main' });
      for (const w of workers) {
        const r = await callWorker(w.sessionId, 'Runtime.evaluate', { expression: PROBE, returnByValue: true });
        if (r?.result?.result?.value) out.push({ ...JSON.parse(r.result.result.value), url: w.url.replace(/^.*\//, '') });
      }
      return out;
    },
    async close() {
      // Detach from the workers before leaving: a session dropped while attached left the next
      // one without answers from them.
      await Promise.race([call('NodeWorker.disable'), sleep(2000)]);
      await ws.close();
    },
  };
}

const mib = (b) => (b / MiB).toFixed(1);

function printSample(s) {
  console.log(`RSS ${mib(s.smaps.total)} MiB (pid ${s.pid}, ${new Date(s.at).toISOString()})`);
  for (const [k, v] of Object.entries(s.smaps).sort((a, b) => b[1] - a[1]))
    if (k !== 'total' && v >= 0.5 * MiB) console.log(`  ${k.padEnd(28)} ${mib(v).padStart(8)} MiB`);
  if (s.threads) {
    console.log('  per thread (V8):     committed  heapUsed  external  arrayBufs  malloced  new-space  old-space');
    for (const t of s.threads) {
      console.log(
        `  ${(t.thread + ' ' + t.url).slice(0, 20).padEnd(20)} ${mib(t.committed).padStart(9)} ${mib(t.heapUsed).padStart(9)} ${mib(t.external).padStart(9)} ${mib(t.arrayBuffers).padStart(10)} ${mib(t.mallocedMemory).padStart(9)} ${mib(t.spaces.new_space ?? 0).padStart(10)} ${mib(t.spaces.old_space ?? 0).padStart(10)}`,
      );
    }
  }
}

async function sample(o, inspector) {
  const s = { at: Date.now(), pid: o.pid, smaps: classify(readSmaps(o.pid)) };
  if (inspector) s.threads = await inspector.probe();
  return s;
}

const o = parseArgs(process.argv.slice(2));
const inspector = o.inspect ? await openInspector(o.inspect) : null;
let best = null;
for (let n = 0; n < Math.max(1, o.count); n++) {
  if (n > 0) await sleep(o.every * 1000);
  let s;
  try {
    s = await sample(o, inspector);
  } catch (e) {
    if (best) break; // the process ended
    throw e;
  }
  if (o.json) console.log(JSON.stringify(s));
  else if (o.count > 1) console.log(`${new Date(s.at).toISOString()} rss ${mib(s.smaps.total)} MiB`);
  if (!best || s.smaps.total > best.smaps.total) best = s;
}
await inspector?.close();
if (!o.json) printSample(best);
