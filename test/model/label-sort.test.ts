/** sortByLabels orders series exactly as sorting with compareLabels does, at any size. */
import { describe, expect, it } from 'vitest';
import { compareLabels, sortByLabels, sortLabels, type Label, type Labels } from '../../src/model/index.js';

/** Deterministic pseudo-random label sets with shared prefixes, odd characters and varied lengths. */
function sets(n: number, seed: number): { labels: Labels; i: number }[] {
  let x = seed;
  const rnd = (k: number): number => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x % k;
  };
  const names = ['__name__', 'job', 'instance', 'cpu', 'mode', 'Device', 'le', 'a_b', 'é'];
  const values = ['', 'node', 'node_cpu_seconds_total', 'node_cpu_seconds', 'x\u0000y', '10', '9', 'Ω', '\u{1F600}', 'idle'];
  const out: { labels: Labels; i: number }[] = [];
  for (let i = 0; i < n; i++) {
    const ls: Label[] = [];
    const used = new Set<string>();
    const len = rnd(5);
    for (let k = 0; k < len; k++) {
      const name = names[rnd(names.length)]!;
      if (used.has(name)) continue;
      used.add(name);
      ls.push({ name, value: values[rnd(values.length)]! + (rnd(3) === 0 ? String(rnd(50)) : '') });
    }
    out.push({ labels: sortLabels(ls), i });
  }
  return out;
}

describe('sortByLabels', () => {
  for (const n of [0, 1, 10, 255, 256, 3000]) {
    it(`orders ${n} label sets as compareLabels does`, () => {
      const items = sets(n, n + 7);
      const expected = items.slice().sort((a, b) => compareLabels(a.labels, b.labels) || a.i - b.i);
      sortByLabels(items);
      // Equal label sets may come in either order; their labels are what must match.
      expect(items.map((s) => s.labels)).toEqual(expected.map((s) => s.labels));
    });
  }

  it('orders neighbours that share label objects and strings as compareLabels does', () => {
    // As the index hands them out: one string per distinct text, unchanged labels shared with the
    // previous series of a label block, and most neighbours differing in one or two labels.
    const job = { name: 'job', value: 'node' };
    const items: { labels: Labels; i: number }[] = [];
    let prev: Labels = [];
    for (let i = 0; i < 2000; i++) {
      const name = { name: '__name__', value: ['node_cpu_seconds_total', 'node_load1', 'node_cpu_seconds'][(i * 7) % 3]! };
      const instance = { name: 'instance', value: `host-${(i * 13) % 17}` };
      const mode = i % 5 === 0 ? undefined : { name: 'mode', value: ['idle', 'user', 'system'][i % 3]! };
      const fresh: Label[] = [name, instance, job, ...(mode ? [mode] : [])];
      const labels = fresh.map((l, k) => (prev[k]?.name === l.name && prev[k]?.value === l.value ? prev[k]! : l));
      items.push({ labels, i });
      prev = labels;
    }
    const expected = items.slice().sort((a, b) => compareLabels(a.labels, b.labels) || a.i - b.i);
    sortByLabels(items);
    expect(items.map((s) => s.labels)).toEqual(expected.map((s) => s.labels));
  });
});
