import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { CRASH_ROWS_PER_SERIES, CRASH_SERIES, crashBatch } from './crash-child.js';
import { openStorage, tempDir } from './helpers.js';

const root = join(import.meta.dirname, '..', '..');
const distStorage = join(root, 'dist', 'storage', 'index.js');
const child = join(mkdtempSync(join(tmpdir(), 'strata-crash-child-')), 'crash-child.mjs');

interface RunResult {
  acked: number[];
  stderr: string;
}

/** Starts the child, lets it ingest for `ms` after it is ready, then SIGKILLs it. */
function runAndKill(dataPath: string, firstBatch: number, fsync: string, ms: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, dataPath, String(firstBatch), fsync, '60', '15000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let out = '';
    let stderr = '';
    let timer: NodeJS.Timeout | null = null;
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        if (line === 'ready' && !timer) timer = setTimeout(() => p.kill('SIGKILL'), ms);
        else if (line.startsWith('ack ')) acked.push(Number(line.slice(4)));
      }
    });
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`crash child exited on its own (code ${code}): ${stderr}`));
      else resolve({ acked, stderr });
    });
  });
}

async function crashLoop(kills: number, modes: string[]): Promise<void> {
  const d = tempDir('strata-crash-');
  try {
    const acked: number[] = [];
    let next = 0;
    for (let i = 0; i < kills; i++) {
      const ms = 80 + Math.floor(Math.random() * 500);
      const r = await runAndKill(d.path, next, modes[i % modes.length]!, ms);
      // A kill mid-write leaves a torn WAL tail, which the next open repairs and reports at WARN:
      // expected here; anything else on stderr is not.
      const unexpected = r.stderr.split('\n').filter((l) => l !== '' && !l.includes('"msg":"WAL segment has a damaged tail; dropped it"'));
      expect(unexpected).toEqual([]);
      acked.push(...r.acked);
      // Batches past the last ack may or may not be stored; start the next run past them so
      // every timestamp is written by one batch only.
      next = (r.acked.length ? r.acked[r.acked.length - 1]! : next) + 10;
    }
    expect(acked.length).toBeGreaterThan(kills);
    const s = await openStorage(d.path);
    try {
      const ids = Array.from({ length: CRASH_SERIES }, (_, i) => i + 1);
      const got = await s.read(ids, -Infinity, Infinity);
      const bySeries = ids.map((id) => {
        const m = new Map<number, number>();
        const x = got.get(id);
        if (x) for (let i = 0; i < x.timestamps.length; i++) m.set(x.timestamps[i]!, x.values[i]!);
        return m;
      });
      let missing = 0;
      let wrong = 0;
      for (const n of acked) {
        const b = crashBatch(n);
        for (let i = 0; i < b.count; i++) {
          const v = bySeries[b.ids[i]! - 1]!.get(b.ts[i]!);
          if (v === undefined) missing++;
          else if (v !== b.vs[i]) wrong++;
        }
      }
      expect({ missing, wrong }).toEqual({ missing: 0, wrong: 0 });
      expect(acked.length * CRASH_SERIES * CRASH_ROWS_PER_SERIES).toBeGreaterThan(0);
    } finally {
      await s.close();
    }
  } finally {
    d.cleanup();
  }
}

beforeAll(async () => {
  // `npm test` builds dist/ first; a bare `npx vitest run test/storage` may not have.
  if (!existsSync(distStorage)) spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'ignore' });
  // The child is this suite's own code; the storage it drives is the built one (dist/), so the
  // process killed is the product as shipped, merge worker and WASM codec included.
  await build({
    entryPoints: [join(import.meta.dirname, 'crash-child.ts')],
    outfile: child,
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
    plugins: [
      {
        name: 'storage-from-dist',
        setup(b) {
          b.onResolve({ filter: /src\/storage\/index\.js$/ }, () => ({ path: distStorage, external: true }));
        },
      },
    ],
  });
});

afterAll(() => rmSync(dirname(child), { recursive: true, force: true }));

describe('crash safety', () => {
  it('loses no acknowledged sample across 3 SIGKILLs during heavy ingestion', async () => {
    await crashLoop(3, ['interval']);
  });

  describe.skipIf(!process.env.STRATA_SLOW_TESTS)('slow', () => {
    it('loses no acknowledged sample across 24 SIGKILLs at random moments, all fsync modes', async () => {
      await crashLoop(24, ['interval', 'always', 'never']);
    }, 300_000);
  });
});
