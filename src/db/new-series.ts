import { KEY_HASH_LANES } from '../ingest/index.js';
import { HashTable } from './series-id-cache.js';

/**
 * The series of a batch that the id cache did not know, grouped by key: a batch may hold several
 * samples of one series, each its own entry. Grouped by the decoder's 128-bit key hash (as the id
 * cache trusts it), so no key string is built or hashed; each group lists the batch's series
 * indexes of one key, the first one first.
 */
export function groupByKeyHash(hashes: Uint32Array, series: readonly number[]): number[][] {
  const groups: number[][] = [];
  let slots = 1024;
  while (slots < series.length * 2) slots *= 2;
  const table = new HashTable(slots);
  for (const i of series) {
    const o = i * KEY_HASH_LANES;
    const k = table.find(hashes, o);
    if (k >= 0) groups[table.valueAt(k)]!.push(i);
    else {
      table.put(hashes, o, groups.length);
      groups.push([i]);
    }
  }
  return groups;
}
