import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExemplarStore } from '../../src/exemplars/index.js';
import { canonicalKey } from '../../src/ingest/index.js';
import { DEFAULT_TENANT } from '../../src/model/index.js';
import { tempDir } from '../helpers/strata-process.js';

const key = (name: string) => canonicalKey([{ name: '__name__', value: name }]);
const row = (name: string, t: number, trace = `t${t}`) => ({ series: key(name), labels: [{ name: 'trace_id', value: trace }], value: t / 10, timestamp: t });
const all = [[{ name: '__name__', type: '=~' as const, value: '.+' }]];

describe('exemplar store', () => {
  it('rewrites its log once it holds more than twice what the rings keep', () => {
    const dir = tempDir();
    const store = ExemplarStore.open(dir, 10);
    for (let i = 0; i < 3000; i++) store.add(DEFAULT_TENANT, [row('m', i)]);
    store.close();
    const size = statSync(join(dir, 'exemplars.log')).size;
    // 10 kept + at most 2 × 10 + 1024 appended since the last rewrite, ~40 bytes each.
    expect(size).toBeLessThan(1100 * 60);
    const again = ExemplarStore.open(dir, 10);
    expect(again.select(DEFAULT_TENANT, all, -Infinity, Infinity)[0]!.exemplars.map((e) => e.timestamp)).toEqual([
      2990, 2991, 2992, 2993, 2994, 2995, 2996, 2997, 2998, 2999,
    ]);
    again.close();
  });

  it('cuts a torn tail and keeps every whole record before it', () => {
    const dir = tempDir();
    const store = ExemplarStore.open(dir, 100);
    store.add(DEFAULT_TENANT, [row('m', 1), row('m', 2), row('m', 3)]);
    store.close();
    const path = join(dir, 'exemplars.log');
    const whole = readFileSync(path);
    // Half of a copy of the last record: what a crash mid-write leaves.
    appendFileSync(path, whole.subarray(whole.length - 20));
    const reopened = ExemplarStore.open(dir, 100);
    expect(reopened.select(DEFAULT_TENANT, all, -Infinity, Infinity)[0]!.exemplars.map((e) => e.timestamp)).toEqual([1, 2, 3]);
    reopened.add(DEFAULT_TENANT, [row('m', 4)]);
    reopened.close();
    expect(statSync(path).size).toBeGreaterThan(whole.length);
    const third = ExemplarStore.open(dir, 100);
    expect(third.select(DEFAULT_TENANT, all, -Infinity, Infinity)[0]!.exemplars.map((e) => e.timestamp)).toEqual([1, 2, 3, 4]);
    third.close();
  });

  it('stops at a record whose checksum does not match', () => {
    const dir = tempDir();
    const store = ExemplarStore.open(dir, 100);
    store.add(DEFAULT_TENANT, [row('m', 1)]);
    store.add(DEFAULT_TENANT, [row('m', 2)]);
    store.close();
    const path = join(dir, 'exemplars.log');
    const buf = readFileSync(path);
    buf[buf.length - 3]! ^= 0xff;
    writeFileSync(path, buf);
    const reopened = ExemplarStore.open(dir, 100);
    expect(reopened.select(DEFAULT_TENANT, all, -Infinity, Infinity)[0]!.exemplars.map((e) => e.timestamp)).toEqual([1]);
    reopened.close();
  });

  it('keeps exemplars at the same time with other values (native-histogram buckets), refuses exact repeats', () => {
    const store = ExemplarStore.open(tempDir(), 100);
    expect(store.add(DEFAULT_TENANT, [row('m', 5, 'a'), row('m', 5, 'b'), row('m', 5, 'b'), row('m', 4, 'c')])).toEqual({
      stored: 2,
      duplicate: 1,
      outOfOrder: 1,
    });
    store.close();
  });
});
