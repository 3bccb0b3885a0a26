import type { PosRange } from '../ast.js';
import { formatPosition } from '../parser.js';
import { formatFloatG, formatFloatGPrecision } from '../../go-format/index.js';

/** A warning or info attached to a query result; `message` is Prometheus's text without position. */
export interface Annotation {
  message: string;
  pos?: PosRange;
}

/**
 * Collects annotations deduplicated by message, as Prometheus does (the last position wins, so an
 * annotation raised at many steps is reported once).
 */
export class Annotations {
  private readonly warn = new Map<string, Annotation>();
  private readonly info = new Map<string, Annotation>();
  private readonly monotonicity = new Map<string, MonotonicityStats>();

  warning(message: string, pos?: PosRange): void {
    this.warn.set(message, pos ? { message: 'PromQL warning: ' + message, pos } : { message: 'PromQL warning: ' + message });
  }

  information(message: string, pos?: PosRange): void {
    this.info.set(message, pos ? { message: 'PromQL info: ' + message, pos } : { message: 'PromQL info: ' + message });
  }

  /**
   * `histogram_quantile` had to fix non-monotonic buckets at time `ts`: one info per message,
   * with the affected buckets, largest fix and time span merged over all steps as Prometheus does.
   */
  forcedMonotonicity(message: string, pos: PosRange, ts: number, minBucket: number, maxBucket: number, maxDiff: number): void {
    const cur = this.monotonicity.get(message);
    if (!cur) {
      this.monotonicity.set(message, { pos, minTs: ts, maxTs: ts, minBucket, maxBucket, maxDiff, count: 1 });
      this.info.set(message, { message: '' });
      return;
    }
    cur.pos = pos;
    cur.minTs = Math.min(cur.minTs, ts);
    cur.maxTs = Math.max(cur.maxTs, ts);
    cur.minBucket = Math.min(cur.minBucket, minBucket);
    cur.maxBucket = Math.max(cur.maxBucket, maxBucket);
    cur.maxDiff = Math.max(cur.maxDiff, maxDiff);
    cur.count++;
  }

  get warnings(): Annotation[] {
    return [...this.warn.values()];
  }

  get infos(): Annotation[] {
    return [...this.info.entries()].map(([raw, a]) => {
      const m = this.monotonicity.get(raw);
      if (!m) return a;
      const time = (t: number): string => new Date(Math.trunc(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
      return {
        message: `PromQL info: ${raw}, from buckets ${formatFloatG(m.minBucket)} to ${formatFloatG(m.maxBucket)}, with a max diff of ${formatFloatGPrecision(m.maxDiff, 2)}, over ${m.count} samples from ${time(m.minTs)} to ${time(m.maxTs)}`,
        pos: m.pos,
      };
    });
  }
}

interface MonotonicityStats {
  pos: PosRange;
  minTs: number;
  maxTs: number;
  minBucket: number;
  maxBucket: number;
  maxDiff: number;
  count: number;
}

/** `line:col` of an offset in the query, columns in UTF-8 bytes as Prometheus's `StartPosInput`. */
export function positionString(query: string, offset: number): string {
  if (query === '') return 'unknown position';
  return formatPosition(query, offset);
}

/** The annotation as the HTTP API renders it: `PromQL warning: ... (1:5)`. */
export function formatAnnotation(a: Annotation, query: string): string {
  return a.pos ? `${a.message} (${positionString(query, a.pos.start)})` : a.message;
}
