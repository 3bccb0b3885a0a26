import { isUtf8 } from 'node:buffer';
import { MAX_LABEL_BYTES, METRIC_NAME, formatLabels, type Label, type Labels } from '../model/index.js';
import type { IngestLimits } from './limits.js';

/**
 * Label validation shared by every format. The byte-level checks run on the remote-write hot path
 * over the decompressed body (no strings); the string-level `checkLabels` serves the text formats.
 * A failed check yields a reason string (for the 400 body / logs); the series is dropped, the
 * request goes on.
 */

/** Whether bytes [s, e) are valid UTF-8; a plain ASCII scan first, the native check only if needed. */
export function isValidUtf8Range(buf: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    if (buf[i]! >= 0x80) return isUtf8(buf.subarray(i, e));
  }
  return true;
}

function isLegacyStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
}

function isLegacyChar(c: number): boolean {
  return isLegacyStart(c) || (c >= 0x30 && c <= 0x39);
}

/** Legacy label-name rule `[a-zA-Z_][a-zA-Z0-9_]*` (metric names also allow `:`), on bytes. */
export function isLegacyNameBytes(buf: Uint8Array, s: number, e: number, colon: boolean): boolean {
  if (e <= s) return false;
  const c0 = buf[s]!;
  if (!isLegacyStart(c0) && !(colon && c0 === 0x3a)) return false;
  for (let i = s + 1; i < e; i++) {
    const c = buf[i]!;
    if (!isLegacyChar(c) && !(colon && c === 0x3a)) return false;
  }
  return true;
}

/** Same rules on a string. */
export function isLegacyName(name: string, colon: boolean): boolean {
  if (name.length === 0) return false;
  const c0 = name.charCodeAt(0);
  if (!isLegacyStart(c0) && !(colon && c0 === 0x3a)) return false;
  for (let i = 1; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!isLegacyChar(c) && !(colon && c === 0x3a)) return false;
  }
  return true;
}

// A lone surrogate has no UTF-8 encoding: such a string came from a bad escape (e.g. JSON "\ud800").
const LONE_SURROGATE = /\p{Surrogate}/u;

export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/** Exact UTF-8 length, computed only when the cheap bounds cannot decide the comparison. */
function utf8LengthExceeds(s: string, max: number): boolean {
  if (s.length > max) return true; // every UTF-16 unit is at least one UTF-8 byte
  if (s.length * 3 <= max) return false; // every UTF-16 unit is at most three UTF-8 bytes
  return Buffer.byteLength(s, 'utf8') > max;
}

export function describeSeries(labels: Labels): string {
  const s = formatLabels(labels);
  return s.length > 512 ? s.slice(0, 509) + '...' : s;
}

/** Quotes a name/value for a message, clipped so a 1 MB value cannot bloat the response. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 128 ? s.slice(0, 125) + '...' : s);
}

/**
 * Validates a label set as given by a text format, dropping empty values and sorting it in place
 * (JS order). Returns null when valid, else why not.
 */
export function checkLabels(labels: Label[], limits: IngestLimits): string | null {
  let w = 0;
  for (let r = 0; r < labels.length; r++) {
    const l = labels[r]!;
    if (l.value !== '') labels[w++] = l;
  }
  labels.length = w;
  labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const legacy = limits.nameValidation === 'legacy';
  if (labels.length > limits.maxLabelsPerTimeseries) {
    return `series ${describeSeries(labels)} has ${labels.length} labels, more than the limit of ${limits.maxLabelsPerTimeseries} (--maxLabelsPerTimeseries)`;
  }
  if (labels.length === 0) return 'series without labels (all label values empty)';
  for (let i = 0; i < labels.length; i++) {
    const { name, value } = labels[i]!;
    if (name === METRIC_NAME) {
      if (legacy && !isLegacyName(value, true)) return `invalid metric name ${quote(value)} in series ${describeSeries(labels)}`;
    }
    if (i > 0 && labels[i - 1]!.name === name) return `duplicate label name ${quote(name)} in series ${describeSeries(labels)}`;
    if (name === '' || !isWellFormed(name) || (legacy ? !isLegacyName(name, false) : false)) {
      return `invalid label name ${quote(name)} in series ${describeSeries(labels)}`;
    }
    if (utf8LengthExceeds(name, limits.maxLabelNameLen)) {
      return `label name ${quote(name)} in series ${describeSeries(labels)} is longer than ${limits.maxLabelNameLen} bytes`;
    }
    if (!isWellFormed(value)) return `invalid UTF-8 in the value of label ${quote(name)} in series ${describeSeries(labels)}`;
    if (utf8LengthExceeds(value, limits.maxLabelValueLen)) {
      return `value of label ${quote(name)} in series ${describeSeries(labels)} is longer than ${limits.maxLabelValueLen} bytes (--maxLabelValueLen)`;
    }
    const why = indexKeyProblem(name, value, labels);
    if (why !== null) return why;
  }
  return null;
}

/**
 * What the label index cannot store (a NUL in a name ends its keys; a name and value over the
 * LMDB key limit), said before the series reaches it so only that series is dropped.
 */
export function indexKeyProblem(name: string, value: string, labels: Labels): string | null {
  if (name.includes('\u0000')) return `invalid label name ${quote(name)} in series ${describeSeries(labels)}: label names cannot contain NUL`;
  if (name.length + value.length > MAX_LABEL_BYTES / 3) {
    // A NUL in a value takes two bytes in the index's keys.
    let bytes = Buffer.byteLength(name) + Buffer.byteLength(value);
    for (let i = value.indexOf('\u0000'); i >= 0; i = value.indexOf('\u0000', i + 1)) bytes++;
    if (bytes > MAX_LABEL_BYTES) {
      return `label ${quote(name)} in series ${describeSeries(labels)} is too long for the index: name and value together are ${bytes} bytes, the limit is ${MAX_LABEL_BYTES}`;
    }
  }
  return null;
}
