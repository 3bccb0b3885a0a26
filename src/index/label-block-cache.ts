/**
 * Decoded label blocks for queries, bounded by bytes. A query over series created by different
 * batches (one metric across 100 hosts, say) wants one set from each of many blocks: with only
 * the per-id cache in front of LMDB, each such lookup inflated and decoded a whole block, and
 * a query over more series than that cache held evicted what the next query needed (q02 of the
 * scale bench: 1,192 series, 400 ms, almost all of it label blocks).
 *
 * A decoded block's sets share the Label objects of the labels they have in common, so a block
 * costs far less than its sets held one by one (about 150 bytes a node_exporter series instead
 * of 700). Two generations by bytes, as TwoGenerationCache does by entries: a hit in the older
 * one moves the block to the newer; when the newer passes half the budget the older is dropped.
 */
import type { Labels } from '../model/index.js';
import type { LabelBlock } from './label-blocks.js';

/** Map entry, array header and bookkeeping per cached id (measured order of magnitude). */
const PER_ID_BYTES = 40;
const PER_SET_BYTES = 32;
const PER_LABEL_SLOT_BYTES = 4;
const PER_LABEL_OBJECT_BYTES = 32;

interface Generation {
  readonly byId: Map<number, LabelBlock>;
  bytes: number;
}

/** What holding a decoded block costs, roughly: sets, their new Label objects and strings. */
export function labelBlockBytes(block: LabelBlock): number {
  let bytes = 64;
  let prev: Labels = [];
  for (const set of block.sets) {
    bytes += PER_ID_BYTES + PER_SET_BYTES + set.length * PER_LABEL_SLOT_BYTES;
    for (let i = 0; i < set.length; i++) {
      const l = set[i]!;
      // Unchanged labels are the previous set's objects (see decodeBlock); strings are interned.
      if (prev[i] === l) continue;
      bytes += PER_LABEL_OBJECT_BYTES + l.value.length;
    }
    prev = set;
  }
  return bytes;
}

export class LabelBlockCache {
  private current: Generation = { byId: new Map(), bytes: 0 };
  private previous: Generation = { byId: new Map(), bytes: 0 };
  private readonly half: number;

  /** budgetBytes 0 keeps nothing. */
  constructor(readonly budgetBytes: number) {
    this.half = Math.floor(budgetBytes / 2);
  }

  /** The cached block holding `id`, if any. */
  get(id: number): LabelBlock | undefined {
    const b = this.current.byId.get(id);
    if (b !== undefined) return b;
    const old = this.previous.byId.get(id);
    if (old !== undefined) {
      for (let k = 0; k < old.sets.length; k++) this.previous.byId.delete(old.first + k);
      this.put(old);
    }
    return old;
  }

  put(block: LabelBlock): void {
    const bytes = labelBlockBytes(block);
    if (bytes > this.half) return;
    if (this.current.bytes + bytes > this.half) {
      this.previous = this.current;
      this.current = { byId: new Map(), bytes: 0 };
    }
    const byId = this.current.byId;
    for (let k = 0; k < block.sets.length; k++) byId.set(block.first + k, block);
    this.current.bytes += bytes;
  }

  clear(): void {
    this.current = { byId: new Map(), bytes: 0 };
    this.previous = { byId: new Map(), bytes: 0 };
  }

  /** Bytes held (estimated), both generations. */
  get bytes(): number {
    return this.current.bytes + this.previous.bytes;
  }
}
