/**
 * The child process of the crash suite (crash.test.ts). It opens a storage, appends
 * deterministic batches as fast as it can and writes `ack <n>` to stdout after batch n's
 * append() resolves. The parent kills it with SIGKILL at random moments and checks that every
 * acknowledged batch is read back. The parent compiles this file against the built dist/ (so
 * the child runs the compiled storage with its merge worker and WASM codec) and runs:
 *
 *   node crash-child.mjs <dataPath> <firstBatch> <walFsync> [flushIntervalMs] [maxPendingRows]
 */
import { writeSync } from 'node:fs';
import { Storage, type WalFsync } from '../../src/storage/index.js';

export const CRASH_SERIES = 64;
export const CRASH_ROWS_PER_SERIES = 8;
export const CRASH_T0 = Date.UTC(2026, 10, 1);

/** Batch n: every series gets CRASH_ROWS_PER_SERIES samples at timestamps no other batch uses. */
export function crashBatch(n: number): { ids: Float64Array; ts: Float64Array; vs: Float64Array; count: number } {
  const count = CRASH_SERIES * CRASH_ROWS_PER_SERIES;
  const ids = new Float64Array(count);
  const ts = new Float64Array(count);
  const vs = new Float64Array(count);
  let i = 0;
  for (let s = 0; s < CRASH_SERIES; s++) {
    for (let k = 0; k < CRASH_ROWS_PER_SERIES; k++, i++) {
      ids[i] = s + 1;
      ts[i] = CRASH_T0 + (n * CRASH_ROWS_PER_SERIES + k) * 1000;
      vs[i] = n * 1000 + s + k / 10;
    }
  }
  return { ids, ts, vs, count };
}

async function main(argv: string[]): Promise<void> {
  const [dataPath, first, fsyncArg, flushArg, pendingArg] = argv;
  if (!dataPath || first === undefined) throw new Error('usage: crash-child <dataPath> <firstBatch> <walFsync> [flushIntervalMs] [maxPendingRows]');
  const storage = await Storage.open({
    dataPath,
    retentionMs: 0,
    dedupIntervalMs: 0,
    flushIntervalMs: Number(flushArg ?? 100),
    walFsync: (fsyncArg ?? 'interval') as WalFsync,
    walFsyncIntervalMs: 50,
    maxPendingRows: Number(pendingArg ?? 20_000),
  });
  writeSync(1, 'ready\n');
  for (let n = Number(first); ; n++) {
    const b = crashBatch(n);
    await storage.append(b.ids, b.ts, b.vs, b.count);
    // Synchronous write: an ack the parent sees was printed after the append resolved.
    writeSync(1, `ack ${n}\n`);
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split(/[\\/]/).pop() ?? '\u0000');
if (isMain) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    writeSync(2, `crash-child: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  });
}
