import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_TENANT } from '../../src/model/index.js';
import { LabelIndex } from '../../src/index/index.js';
import { tempDir } from './helpers.js';

/**
 * A writer process is killed with SIGKILL while it creates series. Every batch it saw committed
 * must be there with the ids it was given, the index must be consistent, and no id may be reused.
 */
const REPO = resolve(import.meta.dirname, '../..');
const BATCH = 200;
const CYCLES = process.env.STRATA_SLOW_TESTS ? 25 : 3;

let work: { dir: string; cleanup: () => void };

beforeAll(() => {
  work = tempDir('crash');
  // The child runs plain Node, so compile the index module (and what it imports) to JS first.
  execFileSync(
    process.execPath,
    [
      join(REPO, 'node_modules/typescript/bin/tsc'),
      '--outDir',
      join(work.dir, 'out'),
      '--rootDir',
      REPO,
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--skipLibCheck',
      '--types',
      'node',
      '--strict',
      '--ignoreConfig',
      join(REPO, 'src/index/index.ts'),
    ],
    { cwd: REPO, stdio: 'pipe' },
  );
  symlinkSync(join(REPO, 'node_modules'), join(work.dir, 'node_modules'));
  writeFileSync(join(work.dir, 'package.json'), '{"type":"module"}');
  writeFileSync(
    join(work.dir, 'child.js'),
    `import { LabelIndex } from './out/src/index/index.js';
const idx = LabelIndex.open(process.argv[2]);
const t = { accountID: 0, projectID: 0 };
for (let batch = Number(process.argv[3]); ; batch++) {
  const sets = [];
  for (let i = 0; i < ${BATCH}; i++) sets.push([{ name: '__name__', value: 'crash' }, { name: 'batch', value: String(batch) }, { name: 'i', value: String(i).padStart(4, '0') }]);
  const ids = idx.resolve(t, sets, 20000 + (batch % 3));
  // An older batch seen again on a later day exercises the per-day path as well.
  if (batch > 2) idx.resolve(t, [[{ name: '__name__', value: 'crash' }, { name: 'batch', value: String(batch - 2) }, { name: 'i', value: '0000' }]], 20003);
  process.stdout.write(batch + ' ' + ids.join(',') + '\\n');
}
`,
  );
  // The same writer, compacting the index every few batches while it keeps creating series.
  writeFileSync(
    join(work.dir, 'child-compact.js'),
    `import { LabelIndex } from './out/src/index/index.js';
const idx = LabelIndex.open(process.argv[2]);
const t = { accountID: 0, projectID: 0 };
let compacting = null;
for (let batch = Number(process.argv[3]); ; batch++) {
  const sets = [];
  for (let i = 0; i < ${BATCH}; i++) sets.push([{ name: '__name__', value: 'crash' }, { name: 'batch', value: String(batch) }, { name: 'i', value: String(i).padStart(4, '0') }]);
  const ids = idx.resolve(t, sets, 20000 + (batch % 3));
  process.stdout.write(batch + ' ' + ids.join(',') + '\\n');
  if (batch % 4 === 0 && !compacting) compacting = idx.compact({ chunkEntries: 64 }).then(() => (compacting = null));
  await new Promise((resolve) => setImmediate(resolve));
}
`,
  );
}, 120_000);

afterAll(() => work.cleanup());

function runAndKill(indexDir: string, firstBatch: number, killAfterMs: number, script = 'child.js'): Promise<Map<number, number[]>> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(work.dir, script), indexDir, String(firstBatch)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked = new Map<number, number[]>();
    let buf = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const [batch, ids] = buf.slice(0, nl).split(' ');
        acked.set(Number(batch), ids!.split(',').map(Number));
        buf = buf.slice(nl + 1);
        // Start the clock at the first commit, so the kill lands mid-creation, not at startup.
        timer ??= setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolvePromise(acked);
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

describe('a writer killed with SIGKILL during series creation', () => {
  it(`leaves a consistent index that kept every acknowledged id (${CYCLES} kills)`, () => killLoop('index', 'child.js'), 300_000);

  it(`leaves a consistent index when killed while compacting (${CYCLES} kills)`, () => killLoop('index-compact', 'child-compact.js'), 300_000);
});

async function killLoop(name: string, script: string): Promise<void> {
  {
    const indexDir = join(work.dir, name);
    const all = new Map<number, number[]>();
    let next = 0;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const acked = await runAndKill(indexDir, next, 30 + ((cycle * 37) % 150), script);
      expect(acked.size).toBeGreaterThan(0);
      for (const [b, ids] of acked) all.set(b, ids);
      next = Math.max(...acked.keys()) + 1;

      const idx = LabelIndex.open(indexDir);
      try {
        expect(idx.checkConsistency()).toEqual([]);
        const everyId = [...all.values()].flat();
        expect(new Set(everyId).size).toBe(everyId.length); // no id handed out twice
        for (const [b, ids] of all) {
          const got = idx.select(DEFAULT_TENANT, [{ name: 'batch', type: '=', value: String(b) }], -Infinity, Infinity);
          expect(got).toEqual(ids);
        }
        expect(idx.peekNextId()).toBeGreaterThan(Math.max(...everyId));
      } finally {
        idx.close();
      }
    }
  }
}
