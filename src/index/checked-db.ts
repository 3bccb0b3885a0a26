import { crc32 } from 'node:zlib';
import type { Database } from 'lmdb';
import type { IndexDamage } from './index-damage.js';

/**
 * Every value the index stores in LMDB ends in a CRC-32 over its key and its payload (layout:
 * docs/format/index.md, "Checksums"), written and verified here and nowhere else. An entry whose
 * checksum fails is quarantined: reads skip it as if it were absent (it is never decoded, so
 * never served) and report it once to the index's damage record, naming the table and the key.
 * Writes to its key simply replace it.
 */

export const CHECKSUM_BYTES = 4;
/** What getChecked returns for an entry whose checksum failed. */
export const DAMAGED: unique symbol = Symbol('damaged');

export interface RangeOptions {
  start?: Buffer;
  end?: Buffer;
  reverse?: boolean;
  limit?: number;
  exclusiveStart?: boolean;
}

export interface Entry {
  readonly key: Buffer;
  readonly value: Buffer;
}

type Raw = Database<Buffer, Buffer>;

export function checksumOf(key: Uint8Array, payload: Uint8Array): number {
  return crc32(payload, crc32(key));
}

/** The stored form of a payload: payload ‖ CRC-32(key ‖ payload), big-endian. */
export function sealValue(key: Uint8Array, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(payload.length + CHECKSUM_BYTES);
  out.set(payload, 0);
  out.writeUInt32BE(checksumOf(key, payload), payload.length);
  return out;
}

/** The payload of a stored value, or undefined when its checksum fails. */
export function openValue(key: Uint8Array, stored: Uint8Array): Buffer | undefined {
  if (stored.length < CHECKSUM_BYTES) return undefined;
  const n = stored.length - CHECKSUM_BYTES;
  const b = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  const payload = b.subarray(0, n);
  return b.readUInt32BE(n) === checksumOf(key, payload) ? payload : undefined;
}

/** One named database of the index, binary keys and checksummed binary values. */
export class CheckedDb {
  constructor(
    readonly raw: Raw,
    readonly table: string,
    private readonly damage: IndexDamage,
  ) {}

  private bad(key: Uint8Array): void {
    this.damage.record(this.table, key, 'checksum mismatch');
  }

  getBinary(key: Buffer): Buffer | undefined {
    const stored = this.raw.getBinary(key);
    if (stored === undefined) return undefined;
    const v = openValue(key, stored);
    if (v === undefined) this.bad(key);
    return v;
  }

  /** Like getBinary, but tells a damaged entry (DAMAGED) from an absent one (undefined). */
  getChecked(key: Buffer): Buffer | undefined | typeof DAMAGED {
    const stored = this.raw.getBinary(key);
    if (stored === undefined) return undefined;
    const v = openValue(key, stored);
    if (v === undefined) {
      this.bad(key);
      return DAMAGED;
    }
    return v;
  }

  /** Entries in a key range; damaged ones are skipped and do not count against `limit`. */
  *getRange(opts: RangeOptions = {}): Generator<Entry> {
    const { limit, ...range } = opts;
    if (limit !== undefined && limit <= 0) return;
    let n = 0;
    for (const { key, value } of this.raw.getRange(range)) {
      const v = openValue(key, value);
      if (v === undefined) {
        this.bad(key);
        continue;
      }
      yield { key, value: v };
      if (limit !== undefined && ++n >= limit) return;
    }
  }

  /** Keys in a key range whose entries are intact (a key is covered by its entry's checksum). */
  *getKeys(opts: RangeOptions = {}): Generator<Buffer> {
    for (const e of this.getRange(opts)) yield e.key;
  }

  putSync(key: Buffer, payload: Uint8Array): void {
    this.raw.putSync(key, sealValue(key, payload));
  }

  removeSync(key: Buffer): void {
    this.raw.removeSync(key);
  }

  clearSync(): void {
    this.raw.clearSync();
  }

  getStats(): unknown {
    return this.raw.getStats();
  }
}
