import type { LabelIndex } from '../index/index.js';
import { encodeLabelsBody, type SeriesLabels, type SeriesTableBody } from '../storage/index.js';

/**
 * The series table a flush writes beside its part (labels.bin, docs/format/part.md): tenant and
 * labels of each flushed series, from the label index. A series the index cannot serve (a damaged
 * label block) is left out; the parts written before the damage still list it. The labels come
 * from one pass over the index's label blocks (see LabelIndex.seriesEntries).
 */
export function seriesTable(index: LabelIndex, ids: ArrayLike<number>): SeriesTableBody {
  const entries: SeriesLabels[] = [];
  // Storage hands the ids ascending; a single pass over the label blocks needs them so.
  const sorted = isAscending(ids) ? ids : Float64Array.from(ids).sort();
  for (const e of index.seriesEntries(sorted)) entries.push({ id: e.id, accountID: e.tenant.accountID, projectID: e.tenant.projectID, labels: e.labels });
  return { body: encodeLabelsBody(entries), complete: entries.length === ids.length };
}

function isAscending(ids: ArrayLike<number>): boolean {
  for (let i = 1; i < ids.length; i++) if (!(ids[i - 1]! < ids[i]!)) return false;
  return true;
}
