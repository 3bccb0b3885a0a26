/**
 * The per-query memory budget (issue 17): what one query may hold while it reads and evaluates,
 * counted where the memory is taken (sample columns read from storage, label sets of selected
 * series, step cells of the evaluation). Past the limit the query fails at once with a 422 naming
 * the limit, instead of the process growing until the kernel steps in.
 */
import { PromQLError } from '../promql/index.js';

export const MEMORY_BUDGET_FLAG = 'search.maxMemoryPerQuery';

/** An `execution` error: the API answers 422 with this message. */
export class QueryMemoryError extends PromQLError {
  constructor(limitBytes: number, neededBytes: number) {
    super(
      'execution',
      `the query needs more than ${formatMiB(limitBytes)} of memory (it reached ${formatMiB(neededBytes)}), the limit set by --${MEMORY_BUDGET_FLAG}=${limitBytes}; ` +
        'narrow the selector or time range, use a larger step, or raise the limit',
    );
    this.name = 'QueryMemoryError';
  }
}

function formatMiB(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 3 : 0)} MiB`;
}

export class QueryMemoryBudget {
  private used = 0;

  /** 0 means unlimited. */
  constructor(readonly limitBytes: number) {}

  get usedBytes(): number {
    return this.used;
  }

  /** Counts `bytes` against the budget; throws QueryMemoryError once it is exceeded. */
  charge(bytes: number): void {
    this.used += bytes;
    if (this.limitBytes > 0 && this.used > this.limitBytes) throw new QueryMemoryError(this.limitBytes, this.used);
  }

  /** Bytes charged before that the query no longer holds (a streamed batch, once folded). */
  refund(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}
