import { afterEach, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StorageError } from '../../src/storage/index.js';
import { readManifest, writeManifest } from '../../src/storage/manifest.js';
import { T0, asPairs, openStorage, rows, tempDir } from './helpers.js';

let cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function dir(): string {
  const d = tempDir('strata-manifest-');
  cleanups.push(d.cleanup);
  return d.path;
}

describe('partition manifest', () => {
  it('is replaced as a whole and leaves no temporary file behind', () => {
    const p = dir();
    writeManifest(p, ['0000000000000001']);
    writeManifest(p, ['0000000000000001', '0000000000000002']);
    expect(readManifest(p)!.parts).toEqual(['0000000000000001', '0000000000000002']);
    expect(readdirSync(p)).toEqual(['manifest.json']);
  });

  it('ignores a half-written replacement left by a crash', () => {
    const p = dir();
    writeManifest(p, ['0000000000000001']);
    writeFileSync(join(p, 'manifest.json.tmp'), '{"formatVersion":1,"parts":["00000');
    expect(readManifest(p)!.parts).toEqual(['0000000000000001']);
  });

  it('refuses a manifest that is not one, with a clear error', () => {
    const p = dir();
    writeFileSync(join(p, 'manifest.json'), '{"parts": "x"}');
    expect(() => readManifest(p)).toThrow(StorageError);
    expect(() => readManifest(p)).toThrow(/not a Strata manifest/);
  });

  it('on open, removes part directories the manifest does not list (interrupted flush or merge)', async () => {
    const path = dir();
    const s = await openStorage(path);
    await s.append(...rows([[1, T0, 1]]));
    await s.close();
    const pdir = join(path, 'data', '2026_11');
    const [only] = readManifest(pdir)!.parts;
    cpSync(join(pdir, only!), join(pdir, '00000000000000f1'), { recursive: true }); // an orphan from a merge
    mkdirSync(join(pdir, 'tmp_00000000000000f2')); // a part that was still being written
    writeFileSync(join(pdir, 'manifest.json.tmp'), 'garbage');
    const again = await openStorage(path);
    cleanups.push(() => again.close());
    expect(readdirSync(pdir).sort()).toEqual([only!, 'manifest.json']);
    expect(asPairs((await again.read([1], 0, Infinity)).get(1))).toEqual([[T0, 1]]);
    // New parts are numbered past everything ever seen, orphans included.
    await again.append(...rows([[1, T0 + 1, 2]]));
    await again.forceFlush();
    expect(readManifest(pdir)!.parts.at(-1)! > '00000000000000f1').toBe(true);
  });

  it('a partition directory without a manifest holds no committed parts; the WAL still has the rows', async () => {
    const path = dir();
    const s = await openStorage(path);
    await s.append(...rows([[1, T0, 1]]));
    // Crash before the first flush committed: a part directory exists but no manifest does.
    const pdir = join(path, 'data', '2026_11');
    mkdirSync(join(pdir, '0000000000000009'), { recursive: true });
    const again = await openStorage(path);
    cleanups.push(() => again.close());
    expect(existsSync(join(pdir, '0000000000000009'))).toBe(false);
    expect(asPairs((await again.read([1], 0, Infinity)).get(1))).toEqual([[T0, 1]]);
    expect(readFileSync(join(path, 'wal', readdirSync(join(path, 'wal'))[0]!)).length).toBeGreaterThan(0);
  });
});
