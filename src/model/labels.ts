/** One label pair. A series' label set includes `__name__` as an ordinary label. */
export interface Label {
  readonly name: string;
  readonly value: string;
}

/** A label set sorted by name (byte order of UTF-16 code units, as JS string comparison). */
export type Labels = readonly Label[];

export const METRIC_NAME = '__name__';

/**
 * The most UTF-8 bytes a label's name and value may hold together: what the label index can key
 * (LMDB refuses keys over 1978 bytes; a postings key adds tenant, day, separators and an id:
 * docs/format/index.md). Ingestion refuses longer labels, and queries longer matchers, up front.
 */
export const MAX_LABEL_BYTES = 1900;

export function sortLabels(labels: Label[]): Label[] {
  return labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function getLabel(labels: Labels, name: string): string {
  for (const l of labels) if (l.name === name) return l.value;
  return '';
}

/**
 * Prometheus `labels.Compare`: walk both sets in name order; the first differing name decides,
 * else the first differing value; a proper prefix sorts first.
 */
export function compareLabels(a: Labels, b: Labels): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.name !== y.name) return x.name < y.name ? -1 : 1;
    if (x.value !== y.value) return x.value < y.value ? -1 : 1;
  }
  return a.length - b.length;
}

/** A stable string key for a label set, usable as a Map key. */
export function labelsKey(labels: Labels): string {
  let s = '';
  for (const l of labels) s += l.name + '\u0000' + l.value + '\u0001';
  return s;
}

/** `{a="1", b="2"}` rendering with `__name__` in front, as Prometheus prints series. */
export function formatLabels(labels: Labels): string {
  let name = '';
  const parts: string[] = [];
  for (const l of labels) {
    if (l.name === METRIC_NAME) name = l.value;
    else parts.push(`${l.name}=${JSON.stringify(l.value)}`);
  }
  return parts.length === 0 && name ? name : `${name}{${parts.join(', ')}}`;
}
