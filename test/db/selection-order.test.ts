/** SelectionOrderCache: the label order of a selection, found once and served again for the same ids. */
import { describe, expect, it } from 'vitest';
import { SelectionOrderCache } from '../../src/db/selection-order.js';
import { compareLabels, type Labels } from '../../src/model/index.js';

/** n series with ids ascending whose labels are in a different order than their ids. */
function selection(n: number, firstId = 0): { id: number; labels: Labels }[] {
  const out: { id: number; labels: Labels }[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      id: firstId + i,
      labels: [
        { name: '__name__', value: `metric_${(i * 7919) % 97}` },
        { name: 'instance', value: `host-${(i * 31) % 1013}` },
      ],
    });
  }
  return out;
}

const sorted = (items: { id: number; labels: Labels }[]): { id: number; labels: Labels }[] =>
  items.slice().sort((a, b) => compareLabels(a.labels, b.labels) || a.id - b.id);

describe('SelectionOrderCache', () => {
  it('sorts a selection by labels, as compareLabels orders it', () => {
    const items = selection(5000);
    const expected = sorted(items).map((s) => s.labels);
    new SelectionOrderCache(100_000).sort(items);
    expect(items.map((s) => s.labels)).toEqual(expected);
  });

  it('serves the same ids again in the same order', () => {
    const cache = new SelectionOrderCache(100_000);
    const first = selection(5000);
    cache.sort(first);
    const again = selection(5000);
    cache.sort(again);
    expect(again.map((s) => s.id)).toEqual(first.map((s) => s.id));
  });

  it('sorts a different selection of the same size by its own labels', () => {
    const cache = new SelectionOrderCache(100_000);
    cache.sort(selection(5000));
    const base = selection(5000);
    const other = selection(5000, 1).map((s, i) => ({ id: s.id, labels: base[(i * 17) % 5000]!.labels }));
    const expected = sorted(other).map((s) => s.labels);
    cache.sort(other);
    expect(other.map((s) => s.labels)).toEqual(expected);
  });

  it('keeps the ids it holds within its bound', () => {
    const cache = new SelectionOrderCache(12_000);
    for (let k = 0; k < 5; k++) cache.sort(selection(5000, k * 10_000));
    expect((cache as unknown as { held: number }).held).toBeLessThanOrEqual(12_000);
  });
});
