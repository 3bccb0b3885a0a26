import type { LabelIndex } from '../index/index.js';
import { encodeLabelsBody, type SeriesLabels, type SeriesTableBody } from '../storage/index.js';

/**
 * The series table a flush writes beside its part (labels.bin, docs/format/part.md): tenant and
 * labels of each flushed series, from the label index. A series the index cannot serve (a damaged
 * label block) is left out; the parts written before the damage still list it.
 */
export function seriesTable(index: LabelIndex, ids: ArrayLike<number>): SeriesTableBody {
  const entries: SeriesLabels[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const e = index.seriesEntry(id);
    if (e) entries.push({ id, accountID: e.tenant.accountID, projectID: e.tenant.projectID, labels: e.labels });
  }
  return { body: encodeLabelsBody(entries), complete: entries.length === ids.length };
}
