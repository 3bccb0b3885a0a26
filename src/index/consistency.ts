import { DAY_BYTES, POSTINGS_ALL, POSTINGS_LABEL, TENANT_BYTES, decodeIdList, encodeLabels, labelKey, seriesKey, valueEnd } from './keys.js';
import { labelBlocks } from './label-blocks.js';
import { decodeEntry, listHas } from './posting-lists.js';
import type { BinDb, Stores } from './stores.js';

/**
 * Every live series is findable by its labels and in its postings, every posting names a live
 * series, and the id counter is past every assigned id. Returns at most `maxProblems` problems.
 */
export function checkConsistency(s: Stores, deleted: ReadonlySet<number>, nextId: number, maxProblems = 100): string[] {
  const problems: string[] = [];
  const report = (p: string): boolean => {
    problems.push(p);
    return problems.length >= maxProblems;
  };
  let maxId = 0;
  const labelled = new Set<number>();
  for (const block of labelBlocks(s.labels)) {
    const tb = block.tenant;
    for (let k = 0; k < block.sets.length; k++) {
      const id = block.first + k;
      const labels = block.sets[k]!;
      labelled.add(id);
      maxId = Math.max(maxId, id);
      const found = decodeIdList(s.series.getBinary(seriesKey(tb, encodeLabels(labels))) ?? new Uint8Array(0));
      if (deleted.has(id)) {
        if (found.includes(id) && report(`deleted series ${id} is still findable by its labels`)) return problems;
        continue;
      }
      if (!found.includes(id) && report(`series ${id} ${JSON.stringify(labels)}: labels resolve to ${found.join(', ') || 'nothing'}`)) return problems;
      if (!listHas(s.postings, Buffer.concat([tb, Buffer.from([POSTINGS_ALL])]), id) && report(`series ${id} missing from all-series postings`)) {
        return problems;
      }
      const lp = Buffer.concat([tb, Buffer.from([POSTINGS_LABEL])]);
      for (const l of labels) {
        if (!listHas(s.postings, labelKey(lp, l.name, l.value), id) && report(`series ${id} missing from postings of ${l.name}`)) return problems;
      }
    }
  }
  for (const { key, value } of s.series.getRange()) {
    for (const id of decodeIdList(value)) {
      if (!labelled.has(id) && report(`series key ${key.toString('hex')} names id ${id} without labels`)) return problems;
    }
  }
  // The length of a block's list key, from the key layouts of each database.
  const labelListLength = (key: Buffer, at: number): number => valueEnd(key, key.indexOf(0, at) + 1) + 1;
  const lists: [BinDb, (key: Buffer) => number][] = [
    [s.postings, (key) => (key[TENANT_BYTES] === POSTINGS_ALL ? TENANT_BYTES + 1 : labelListLength(key, TENANT_BYTES + 1))],
    [s.dayPostings, (key) => labelListLength(key, TENANT_BYTES + DAY_BYTES)],
    [s.daySeries, () => TENANT_BYTES + DAY_BYTES],
  ];
  for (const [db, listLength] of lists) {
    for (const { key, value } of db.getRange()) {
      const ids: number[] = [];
      decodeEntry(key, value, listLength(key), (id) => ids.push(id));
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        if (i > 0 && !(ids[i - 1]! < id) && report(`a postings block ${key.toString('hex')} is not ascending`)) return problems;
        if ((deleted.has(id) || !labelled.has(id)) && report(`a posting names missing or deleted series ${id}`)) return problems;
      }
    }
  }
  if (nextId <= maxId) report(`id counter ${nextId} is not past the largest id ${maxId}`);
  return problems;
}
