import { CodecError } from './errors.js';

export function checkEncodeArgs(what: string, arr: Float64Array, count: number): void {
  if (!Number.isInteger(count) || count < 0) throw new CodecError(`${what}: count must be a non-negative integer, got ${count}`);
  if (count > arr.length) throw new CodecError(`${what}: count ${count} exceeds the array length ${arr.length}`);
  if (count > 0xffffffff) throw new CodecError(`${what}: count ${count} is too large for one block`);
}

export function checkDecodeArgs(what: string, src: Uint8Array, count: number, out: Float64Array): void {
  if (!Number.isInteger(count) || count < 0) throw new CodecError(`${what}: count must be a non-negative integer, got ${count}`);
  if (count > out.length) throw new CodecError(`${what}: output holds ${out.length} samples, block has ${count}`);
  if (src.length === 0) throw new CodecError(`${what}: empty block`);
}

export function checkHeader(what: string, version: number, blockCount: number, count: number): void {
  if (version !== 1) throw new CodecError(`${what}: unsupported codec format version ${version}`);
  if (blockCount !== count) throw new CodecError(`${what}: block holds ${blockCount} samples, caller expected ${count}`);
}

export function checkRangeArgs(count: number, t1: number, t2: number): void {
  if (!Number.isInteger(count) || count < 0) throw new CodecError(`decodeBlockRange: count must be a non-negative integer, got ${count}`);
  if (Number.isNaN(t1) || Number.isNaN(t2)) throw new CodecError('decodeBlockRange: range bounds must not be NaN');
}
