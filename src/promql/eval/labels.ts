import { type Label, type Labels, METRIC_NAME, labelsKey } from '../../model/index.js';

/** Labels that go away together with `__name__` (Prometheus's metadata labels). */
const METADATA_LABELS = new Set([METRIC_NAME, '__type__', '__unit__']);

export function dropMetricName(labels: Labels): Labels {
  let has = false;
  for (const l of labels) if (METADATA_LABELS.has(l.name)) has = true;
  if (!has) return labels;
  return labels.filter((l) => !METADATA_LABELS.has(l.name));
}

export function hasLabel(labels: Labels, name: string): boolean {
  for (const l of labels) if (l.name === name) return true;
  return false;
}

/** Sets (or, for an empty value, deletes) a label, keeping the set sorted. */
export function setLabel(labels: Labels, name: string, value: string): Labels {
  const out: Label[] = [];
  let done = false;
  for (const l of labels) {
    if (!done && l.name >= name) {
      done = true;
      if (value !== '') out.push({ name, value });
      if (l.name === name) continue;
    }
    out.push(l);
  }
  if (!done && value !== '') out.push({ name, value });
  return out;
}

export function keepLabels(labels: Labels, names: ReadonlySet<string>): Labels {
  return labels.filter((l) => names.has(l.name));
}

export function removeLabels(labels: Labels, names: ReadonlySet<string>): Labels {
  return labels.filter((l) => !names.has(l.name));
}

/** Signature of the labels a binary operation matches on (`on`) or of all others (`ignoring`). */
export function matchSignature(labels: Labels, on: boolean, names: ReadonlySet<string>): string {
  let s = '';
  for (const l of labels) {
    const listed = names.has(l.name);
    if (on ? listed : !listed && l.name !== METRIC_NAME) s += l.name + '\u0000' + l.value + '\u0001';
  }
  return s;
}

/** Grouping key of an aggregation: `by` keeps only the listed labels, `without` drops them and the name. */
export function groupingKey(labels: Labels, without: boolean, names: ReadonlySet<string>): string {
  let s = '';
  for (const l of labels) {
    const listed = names.has(l.name);
    if (without ? !listed && l.name !== METRIC_NAME : listed) s += l.name + '\u0000' + l.value + '\u0001';
  }
  return s;
}

export function groupingLabels(labels: Labels, without: boolean, names: ReadonlySet<string>): Labels {
  if (without) return labels.filter((l) => !names.has(l.name) && l.name !== METRIC_NAME);
  return labels.filter((l) => names.has(l.name));
}

/** Go's `labels.Labels.String()`: `{__name__="x", a="b"}`. */
export function goLabelsString(labels: Labels): string {
  return '{' + labels.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(', ') + '}';
}

export { labelsKey };
