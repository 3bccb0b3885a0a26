/**
 * Sorting many series by labels (compareLabels order) without comparing strings in the sort. A
 * selection of every series compares long, similar metric names (`node_network_receive_…`)
 * character by character about 17 times a series: 700 ms for 105k series. Here every distinct
 * name and value gets its rank once, each series becomes a run of integers, and the sort compares
 * those: the same order, a few times faster.
 */
import { compareLabels, type Labels } from './labels.js';

/** Below this many items the plain comparison sort is as quick. */
const RANKED_FROM = 256;

/** Sorts items in place by their labels, as `items.sort((a, b) => compareLabels(a.labels, b.labels))`. */
export function sortByLabels<T extends { readonly labels: Labels }>(items: T[]): void {
  const n = items.length;
  if (n < RANKED_FROM) {
    items.sort((a, b) => compareLabels(a.labels, b.labels));
    return;
  }
  // Series of a selection share most of their label strings (the index hands out one object per
  // distinct text), and neighbours usually differ in one or two labels: a string identical to the
  // one at the same place in the previous item takes its rank without a map lookup.
  const rank = new Map<string, number>();
  let cells = 0;
  let prev: Labels = [];
  for (const it of items) {
    const ls = it.labels;
    cells += 2 * ls.length;
    for (let j = 0; j < ls.length; j++) {
      const l = ls[j]!;
      const p = prev[j];
      if (p === l) continue;
      if (p === undefined || p.name !== l.name) rank.set(l.name, 0);
      if (p === undefined || p.value !== l.value) rank.set(l.value, 0);
    }
    prev = ls;
  }
  // Default sort order is UTF-16 code units, the order of `<` that compareLabels uses.
  const distinct = [...rank.keys()].sort();
  for (let i = 0; i < distinct.length; i++) rank.set(distinct[i]!, i);
  // Per item: name and value ranks in label order; comparing these runs is compareLabels.
  const keys = new Int32Array(cells);
  const start = new Int32Array(n + 1);
  let at = 0;
  let prevAt = 0;
  prev = [];
  for (let i = 0; i < n; i++) {
    start[i] = at;
    const ls = items[i]!.labels;
    for (let j = 0; j < ls.length; j++) {
      const l = ls[j]!;
      const p = prev[j];
      if (p === undefined) {
        keys[at++] = rank.get(l.name)!;
        keys[at++] = rank.get(l.value)!;
        continue;
      }
      keys[at] = p === l || p.name === l.name ? keys[prevAt + 2 * j]! : rank.get(l.name)!;
      keys[at + 1] = p === l || p.value === l.value ? keys[prevAt + 2 * j + 1]! : rank.get(l.value)!;
      at += 2;
    }
    prev = ls;
    prevAt = start[i]!;
  }
  start[n] = at;
  const order: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((x, y) => {
    let a = start[x]!;
    let b = start[y]!;
    const ae = start[x + 1]!;
    const be = start[y + 1]!;
    while (a < ae && b < be) {
      const d = keys[a]! - keys[b]!;
      if (d !== 0) return d;
      a++;
      b++;
    }
    return ae - start[x]! - (be - start[y]!);
  });
  const copy = items.slice();
  for (let i = 0; i < n; i++) items[i] = copy[order[i]!]!;
}
