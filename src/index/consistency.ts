import { POSTINGS_ALL, POSTINGS_LABEL, TENANT_BYTES, decodeLabels, idBytes, labelKey, readId, seriesKey } from './keys.js';
import type { Stores } from './stores.js';

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
  for (const { key, value } of s.labels.getRange()) {
    const id = readId(key);
    maxId = Math.max(maxId, id);
    const tb = Buffer.from(value.subarray(0, TENANT_BYTES));
    const labels = decodeLabels(value, TENANT_BYTES);
    const found = s.series.get(seriesKey(tb, value.subarray(TENANT_BYTES)));
    if (deleted.has(id)) {
      if (found === id && report(`deleted series ${id} is still findable by its labels`)) return problems;
      continue;
    }
    if (found !== id && report(`series ${id} ${JSON.stringify(labels)}: labels resolve to ${found}`)) return problems;
    if (!s.postings.doesExist(Buffer.concat([tb, Buffer.from([POSTINGS_ALL])]), id) && report(`series ${id} missing from all-series postings`)) {
      return problems;
    }
    const lp = Buffer.concat([tb, Buffer.from([POSTINGS_LABEL])]);
    for (const l of labels) {
      if (!s.postings.doesExist(labelKey(lp, l.name, l.value), id) && report(`series ${id} missing from postings of ${l.name}`)) return problems;
    }
  }
  for (const { key, value } of s.series.getRange()) {
    if (!s.labels.doesExist(idBytes(value)) && report(`series key ${key.toString('hex')} names id ${value} without labels`)) return problems;
  }
  for (const db of [s.postings, s.dayPostings, s.daySeries]) {
    for (const { value: id } of db.getRange()) {
      if ((deleted.has(id) || !s.labels.doesExist(idBytes(id))) && report(`a posting names missing or deleted series ${id}`)) return problems;
    }
  }
  if (nextId <= maxId) report(`id counter ${nextId} is not past the largest id ${maxId}`);
  return problems;
}
