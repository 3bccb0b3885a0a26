/**
 * Exemplars as decoders hand them on: each with its series' canonical key (label-key.ts) and its
 * own labels. Plain data, so they cross from decode workers by structured clone; a request
 * carries few of them next to its samples.
 */
import type { Label } from '../model/index.js';
import type { ProtoReader } from './proto-reader.js';

export interface ExemplarRow {
  /** The canonical key of the series the exemplar belongs to. */
  readonly series: string;
  readonly labels: readonly Label[];
  readonly value: number;
  /** Milliseconds. */
  readonly timestamp: number;
}

/** Prometheus's limit on an exemplar's label set: 128 UTF-8 characters of names and values. */
export const EXEMPLAR_MAX_LABEL_SET_LENGTH = 128;

/** Why Prometheus would refuse these exemplar labels, or null. */
export function exemplarLabelsProblem(labels: readonly Label[]): string | null {
  let chars = 0;
  for (const l of labels) {
    if (l.name === '') return 'an exemplar label has an empty name';
    chars += [...l.name].length + [...l.value].length;
  }
  return chars > EXEMPLAR_MAX_LABEL_SET_LENGTH ? `exemplar label set is ${chars} characters long, more than ${EXEMPLAR_MAX_LABEL_SET_LENGTH}` : null;
}

/** Exemplar labels sorted by name, empty values dropped (as series labels are). */
export function normaliseExemplarLabels(labels: Label[]): Label[] {
  return labels.filter((l) => l.value !== '').sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** One decoded exemplar before its series is known to be valid. */
export interface PendingExemplar {
  labels: Label[];
  value: number;
  timestamp: number;
}

const utf8 = new TextDecoder('utf-8');
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

/** A remote write 1.0 `Exemplar` (labels as Label messages); the reader's limit is its end. */
export function readExemplarV1(r: ProtoReader, buf: Uint8Array): PendingExemplar {
  const end = r.limit;
  const labels: Label[] = [];
  let value = 0;
  let timestamp = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === 0x0a) {
      const lEnd = r.lengthEnd();
      r.limit = lEnd;
      let name = '';
      let v = '';
      while (r.pos < lEnd) {
        const t = r.uint32();
        if (t === 0x0a || t === 0x12) {
          const e = r.lengthEnd();
          const s = utf8.decode(buf.subarray(r.pos, e));
          r.pos = e;
          if (t === 0x0a) name = s;
          else v = s;
        } else r.skip(t & 7);
      }
      r.limit = end;
      labels.push({ name, value: v });
    } else if (tag === 0x11) {
      r.copyFixed64(f64Bytes, 0);
      value = f64[0]!;
    } else if (tag === 0x18) timestamp = r.int64();
    else r.skip(tag & 7);
  }
  return { labels, value, timestamp };
}

/** A remote write 2.0 `Exemplar` (labels as symbol references); `sym` returns null for a bad ref. */
export function readExemplarV2(r: ProtoReader, sym: (ref: number) => string | null): PendingExemplar | string {
  const end = r.limit;
  const refs: number[] = [];
  let value = 0;
  let timestamp = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === 0x0a) {
      const pEnd = r.lengthEnd();
      r.limit = pEnd;
      while (r.pos < pEnd) refs.push(r.uint32());
      r.limit = end;
    } else if (tag === 0x08) refs.push(r.uint32());
    else if (tag === 0x11) {
      r.copyFixed64(f64Bytes, 0);
      value = f64[0]!;
    } else if (tag === 0x18) timestamp = r.int64();
    else r.skip(tag & 7);
  }
  if (refs.length % 2 === 1) return `an exemplar has an odd number (${refs.length}) of labels_refs`;
  const labels: Label[] = [];
  for (let i = 0; i < refs.length; i += 2) {
    const name = sym(refs[i]!);
    const v = sym(refs[i + 1]!);
    if (name === null || v === null) return `an exemplar references a symbol past the end of the symbols table`;
    labels.push({ name, value: v });
  }
  return { labels, value, timestamp };
}

/** Turns a valid series' pending exemplars into rows (labels checked, sorted). */
export function exemplarRows(series: string, pending: readonly PendingExemplar[], out: ExemplarRow[]): number {
  let invalid = 0;
  for (const p of pending) {
    const labels = normaliseExemplarLabels(p.labels);
    if (exemplarLabelsProblem(labels) !== null) {
      invalid++;
      continue;
    }
    out.push({ series, labels, value: p.value, timestamp: p.timestamp });
  }
  return invalid;
}
