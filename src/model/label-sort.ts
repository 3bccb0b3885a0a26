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
  const rank = new Map<string, number>();
  let cells = 0;
  for (const it of items) {
    cells += 2 * it.labels.length;
    for (const l of it.labels) {
      rank.set(l.name, 0);
      rank.set(l.value, 0);
    }
  }
  // Default sort order is UTF-16 code units, the order of `<` that compareLabels uses.
  const distinct = [...rank.keys()].sort();
  for (let i = 0; i < distinct.length; i++) rank.set(distinct[i]!, i);
  // Per item: name and value ranks in label order; comparing these runs is compareLabels.
  const keys = new Int32Array(cells);
  const start = new Int32Array(n + 1);
  let at = 0;
  for (let i = 0; i < n; i++) {
    start[i] = at;
    for (const l of items[i]!.labels) {
      keys[at++] = rank.get(l.name)!;
      keys[at++] = rank.get(l.value)!;
    }
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
