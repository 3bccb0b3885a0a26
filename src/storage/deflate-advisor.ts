import { compressColumn, type EncodedColumn } from './block-codec.js';

/**
 * Decides, per part being written, which column blocks are worth deflating. zlib costs ~25 µs a
 * block however little it finds (most of it per-call setup), and what it finds depends on the
 * codec path: on node_exporter-like data it took 13.5% off decimal-delta value blocks (bounded
 * gauges repeat their steps) but 0.0% off decimal delta-of-delta blocks (counters: packed noise)
 * and 2% off Gorilla blocks (full-precision floats). So each kind of block (column, codec, codec
 * kind byte) is deflated for its first blocks in the part; once its running saving is under 1/32
 * only every 32nd block is tried, so a kind that starts to pay is noticed again.
 */

const WARMUP_BLOCKS = 16;
const PROBE_EVERY = 32;

interface KindStats {
  tried: number;
  skipped: number;
  rawBytes: number;
  savedBytes: number;
}

export class DeflateAdvisor {
  private readonly kinds = new Map<number, KindStats>();

  /** The column as it should be stored: deflated when that is expected (and turns out) to pay. */
  apply(column: 'timestamps' | 'values', c: EncodedColumn): EncodedColumn {
    if (c.bytes.length === 0) return c;
    const key = ((column === 'timestamps' ? 0 : 1) * 256 + (c.kind & 0x7f)) * 256 + c.bytes[0]!;
    let st = this.kinds.get(key);
    if (st === undefined) this.kinds.set(key, (st = { tried: 0, skipped: 0, rawBytes: 0, savedBytes: 0 }));
    const pays = st.savedBytes * 32 >= st.rawBytes;
    if (st.tried >= WARMUP_BLOCKS && !pays && ++st.skipped % PROBE_EVERY !== 0) return c;
    const out = compressColumn(c);
    st.tried++;
    st.rawBytes += c.bytes.length;
    st.savedBytes += c.bytes.length - out.bytes.length;
    return out;
  }
}
