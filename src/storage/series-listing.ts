import { MAX_STORABLE_T, MIN_STORABLE_T, monthRange, partitionKey } from './partition.js';

/**
 * Which series already have their labels in a live part's series table (labels.bin) of each
 * partition, so a flush lists only the series new to its partition. A flush used to list every
 * series it held: with ~100k active series every flush part carried all their labels, which the
 * main thread read from the label index and every merge decoded and wrote again.
 *
 * What keeps this true: merges write the union of their inputs' tables, so a listed series stays
 * listed in its partition until something removes a part without a successor carrying its table
 * (a quarantined part, a partition dropped or emptied, a merge that wrote nothing or could not
 * read an input's table). PartitionSet counts those events; any of them, and any restart, makes
 * the next flush of each partition list everything again.
 */
export class SeriesListing {
  private readonly byPartition = new Map<string, Set<number>>();
  private lostSeen = 0;

  /**
   * The ids of a flush whose rows lie in [minT, maxT] that its table must list: those not yet
   * listed in the partition, when the rows lie in one month; all of them otherwise.
   * `lost`: PartitionSet's count of tables removed without a successor.
   */
  toList(ids: Float64Array, minT: number, maxT: number, lost: number): { ids: Float64Array; partition: string | null } {
    if (lost !== this.lostSeen) {
      this.byPartition.clear();
      this.lostSeen = lost;
    }
    const partition = minT >= MIN_STORABLE_T && maxT <= MAX_STORABLE_T && monthRange(minT)[1] > maxT ? partitionKey(minT) : null;
    const listed = partition === null ? undefined : this.byPartition.get(partition);
    // A copy: the flush job's own id list is transferred to the flush worker, which detaches it.
    if (listed === undefined || listed.size === 0) return { ids: ids.slice(), partition };
    let n = 0;
    for (let i = 0; i < ids.length; i++) if (!listed.has(ids[i]!)) n++;
    const out = new Float64Array(n);
    for (let i = 0, k = 0; i < ids.length; i++) if (!listed.has(ids[i]!)) out[k++] = ids[i]!;
    return { ids: out, partition };
  }

  /** Records that a flush part installed in `partition` lists `ids` (unless a table was lost since `toList`). */
  listed(partition: string, ids: Float64Array, lost: number): void {
    if (lost !== this.lostSeen) return;
    let set = this.byPartition.get(partition);
    if (set === undefined) this.byPartition.set(partition, (set = new Set()));
    for (let i = 0; i < ids.length; i++) set.add(ids[i]!);
  }
}
