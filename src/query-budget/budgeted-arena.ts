/**
 * A read arena that charges a query's memory budget for every column it hands out. Every read
 * sample of a query lands in its arena, so this bounds the largest part of a query's memory at
 * the point it is taken, before the process has grown.
 */
import { readSlabPool, SampleArena, type SlabPool } from '../storage/index.js';
import type { QueryMemoryBudget } from './budget.js';

type SampleBufferLike = Parameters<SampleArena['moveTo']>[0];

/** Two float64 columns (timestamps, values). */
const BYTES_PER_SAMPLE = 16;

export class BudgetedArena extends SampleArena {
  constructor(
    private readonly budget: QueryMemoryBudget,
    pool: SlabPool = readSlabPool,
  ) {
    super(pool.slabSize, pool.slabSize, pool);
  }

  private charged = 0;

  override moveTo(buf: SampleBufferLike, cap: number): void {
    // moveTo takes fresh space for the whole buffer; the old space stays in the arena until release.
    this.charged += cap * BYTES_PER_SAMPLE;
    this.budget.charge(cap * BYTES_PER_SAMPLE);
    super.moveTo(buf, cap);
  }

  /** Frees the slabs and gives their bytes back to the budget (a streamed batch is done with them). */
  override release(): void {
    if (this.released) return;
    super.release();
    this.budget.refund(this.charged);
    this.charged = 0;
  }
}
