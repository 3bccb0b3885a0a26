import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { DEFAULT_TENANT, type LabelMatcher } from '../../src/model/index.js';
import { LabelIndex } from '../../src/index/index.js';
import { SeriesKeyEncoder, decodeIdList, encodeIdList, encodeLabels, idBytes, seriesKey, tenantBytes } from '../../src/index/keys.js';
import type { Stores } from '../../src/index/stores.js';
import { ls, matcher, useTempIndex } from './helpers.js';

/** The `series` database: short hash keys, collisions resolved by comparing the stored labels. */
const T = DEFAULT_TENANT;
const D0 = 20000;
const m = matcher;
const fx = useTempIndex('series-keys');

/** The index's databases, to stage states that real data reaches only with odds of 2^-64. */
const stores = (): Stores => (fx.idx as unknown as { s: Stores }).s;
const keyOf = (labels: ReturnType<typeof ls>, tenant = T): Buffer => seriesKey(tenantBytes(tenant), encodeLabels(labels));

describe('series keys', () => {
  it('are 8 bytes and differ between tenants for the same labels', () => {
    const k = keyOf(ls('up'));
    expect(k.length).toBe(8);
    expect(k.equals(keyOf(ls('up'), { accountID: 1, projectID: 0 }))).toBe(false);
  });

  it('come out the same from the reused encoder as from seriesKey, whatever the label bytes', () => {
    const enc = new SeriesKeyEncoder();
    const sets = [ls('up'), ls('ü', { ключ: '値'.repeat(2000), job: 'x' }), ls('up', { job: 'a' })];
    for (const tenant of [T, { accountID: 7, projectID: 9 }]) {
      for (const l of sets) {
        expect(enc.key(tenantBytes(tenant), l).equals(keyOf(l, tenant))).toBe(true);
        expect(enc.labelBytes().equals(encodeLabels(l))).toBe(true);
      }
    }
  });

  it('list ids as varints, up to 2^53', () => {
    const ids = [1, 127, 128, 2 ** 31, 2 ** 53];
    expect(decodeIdList(encodeIdList(ids))).toEqual(ids);
    expect(encodeIdList([5]).length).toBe(1);
    expect(() => decodeIdList(Buffer.from([0x85]))).toThrow(/ends inside a varint/);
  });

  it('give a colliding label set an id of its own, listed next to the other, and find both again', () => {
    const a = ls('up', { job: 'a' });
    const b = ls('up', { job: 'b' });
    const [idA] = fx.idx.resolve(T, [a], D0);
    // Stage a collision: b's key already lists series a.
    stores().series.putSync(keyOf(b), encodeIdList([idA!]));
    const [idB] = fx.idx.resolve(T, [b], D0);
    expect(idB).not.toBe(idA);
    expect(decodeIdList(stores().series.getBinary(keyOf(b))!)).toEqual([idA, idB]);
    fx.reopen(); // no cache: both go through the shared key
    expect(fx.idx.resolve(T, [b, a], D0)).toEqual([idB, idA]);
    expect(fx.idx.labelsOf(idB!)).toEqual(b);
    expect(fx.idx.checkConsistency()).toEqual([]);
  });

  it('drop only the deleted series from a shared key', () => {
    const a = ls('up', { job: 'a' });
    const b = ls('up', { job: 'b' });
    const [idA] = fx.idx.resolve(T, [a], D0);
    stores().series.putSync(keyOf(b), encodeIdList([idA!]));
    const [idB] = fx.idx.resolve(T, [b], D0);
    expect(fx.idx.deleteSeries(T, [m('job', '=', 'b')])).toEqual([idB]);
    expect(decodeIdList(stores().series.getBinary(keyOf(b))!)).toEqual([idA]);
    expect(fx.idx.resolve(T, [a], D0)).toEqual([idA]);
    const [again] = fx.idx.resolve(T, [b], D0);
    expect(again).toBeGreaterThan(idB!);
  });

  it('are rebuilt on open from an index written with the older 24-byte keys', () => {
    const sets = [ls('up', { job: 'a' }), ls('up', { job: 'b' }), ls('gone')];
    const ids = fx.idx.resolve(T, sets, D0);
    fx.idx.deleteSeries(T, [m('__name__', '=', 'gone')]);
    // Rewrite the series database as the older format had it: tenant + 16 hash bytes → 8-byte id.
    const s = stores();
    s.env.transactionSync(() => {
      s.series.clearSync();
      for (const [i, labels] of sets.slice(0, 2).entries()) {
        const key = Buffer.concat([tenantBytes(T), createHash('sha256').update(encodeLabels(labels)).digest().subarray(0, 16)]);
        s.series.putSync(key, idBytes(ids[i]!));
      }
    });
    fx.reopen();
    expect(fx.idx.checkConsistency()).toEqual([]);
    expect(decodeIdList(stores().series.getBinary(keyOf(sets[1]!))!)).toEqual([ids[1]]);
    expect(fx.idx.resolve(T, sets.slice(0, 2), D0)).toEqual(ids.slice(0, 2));
    expect(fx.idx.resolve(T, [ls('gone')], D0)[0]).toBeGreaterThan(ids[2]!);
  });
});
