import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
// The regex engine alone, not the index face: that would load LMDB into every importer.
import { compileCapturingRegex, type CapturingRegex, type RegexMatch } from '../regex/index.js';
import { sortLabels, type Label, type Labels } from '../model/index.js';
import { ColumnBatch, type DecodedBatch, type HistogramBatchRows } from './batch.js';
import type { ExemplarRow } from './exemplars.js';
import { canonicalKey, labelsFromKey } from './label-key.js';
import { resolveLimits, type IngestLimits } from './limits.js';
import { checkLabels, isWellFormed } from './validate.js';

/**
 * Prometheus `relabel_configs` on ingest (`--relabelConfig=file.yml`, reloaded on SIGHUP), with
 * Prometheus's defaults and semantics: regexes are fully anchored RE2-style patterns, `$1` /
 * `${name}` expansion as Go's regexp.Expand, empty results delete the target label, a series left
 * without labels is dropped.
 */

export type RelabelAction =
  'replace' | 'keep' | 'drop' | 'keepequal' | 'dropequal' | 'hashmod' | 'labelmap' | 'labeldrop' | 'labelkeep' | 'lowercase' | 'uppercase';

const ACTIONS: readonly RelabelAction[] = [
  'replace',
  'keep',
  'drop',
  'keepequal',
  'dropequal',
  'hashmod',
  'labelmap',
  'labeldrop',
  'labelkeep',
  'lowercase',
  'uppercase',
];

export interface RelabelConfig {
  readonly action: RelabelAction;
  readonly sourceLabels: readonly string[];
  readonly separator: string;
  /** The pattern as written (unanchored). */
  readonly regexSource: string;
  /** Anchored, compiled. */
  readonly regex: CapturingRegex;
  readonly modulus: number;
  readonly targetLabel: string;
  readonly replacement: string;
}

export class RelabelConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RelabelConfigError';
  }
}

const DEFAULT_REGEX = '(.*)';

/**
 * RE2 (Go) syntax anchored as Prometheus anchors it (`^(?s:re)$`), matched in linear time with
 * capture groups: a relabel regex must not be able to stall ingestion on a long label value.
 */
export function compileRelabelRegex(src: string): CapturingRegex {
  try {
    return compileCapturingRegex(src);
  } catch (e) {
    throw new RelabelConfigError(`invalid regex ${JSON.stringify(src)}: ${(e as Error).message.replace(/^invalid regex "(?:[^"\\]|\\.)*": /, '')}`);
  }
}

function str(v: unknown, field: string, i: number, def: string): string {
  if (v === undefined || v === null) return def;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new RelabelConfigError(`relabel config #${i + 1}: ${field} must be a string`);
}

/** Validates one YAML entry into a RelabelConfig, with Prometheus's defaults and rules. */
function toConfig(raw: unknown, i: number): RelabelConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new RelabelConfigError(`relabel config #${i + 1} must be a mapping`);
  const o = raw as Record<string, unknown>;
  const known = new Set(['source_labels', 'separator', 'regex', 'modulus', 'target_label', 'replacement', 'action']);
  for (const k of Object.keys(o)) if (!known.has(k)) throw new RelabelConfigError(`relabel config #${i + 1}: unknown field ${JSON.stringify(k)}`);
  const action = str(o['action'], 'action', i, 'replace').toLowerCase() as RelabelAction;
  if (!ACTIONS.includes(action)) throw new RelabelConfigError(`relabel config #${i + 1}: unknown action ${JSON.stringify(o['action'])}`);
  let sourceLabels: string[] = [];
  if (o['source_labels'] !== undefined && o['source_labels'] !== null) {
    if (!Array.isArray(o['source_labels'])) throw new RelabelConfigError(`relabel config #${i + 1}: source_labels must be a list`);
    sourceLabels = o['source_labels'].map((s) => str(s, 'source_labels', i, ''));
  }
  let regexSource = DEFAULT_REGEX;
  if (Array.isArray(o['regex']))
    regexSource = o['regex'].map((s) => str(s, 'regex', i, '')).join('|'); // VictoriaMetrics's list form
  else regexSource = str(o['regex'], 'regex', i, DEFAULT_REGEX);
  let regex: CapturingRegex;
  try {
    regex = compileRelabelRegex(regexSource);
  } catch (e) {
    throw new RelabelConfigError(`relabel config #${i + 1}: ${(e as Error).message}`);
  }
  const modulusRaw = o['modulus'] ?? 0;
  if (typeof modulusRaw !== 'number' || !Number.isSafeInteger(modulusRaw) || modulusRaw < 0) {
    throw new RelabelConfigError(`relabel config #${i + 1}: modulus must be a non-negative integer`);
  }
  const cfg: RelabelConfig = {
    action,
    sourceLabels,
    separator: str(o['separator'], 'separator', i, ';'),
    regexSource,
    regex,
    modulus: modulusRaw,
    targetLabel: str(o['target_label'], 'target_label', i, ''),
    replacement: str(o['replacement'], 'replacement', i, '$1'),
  };
  const needsTarget: RelabelAction[] = ['replace', 'hashmod', 'lowercase', 'uppercase', 'keepequal', 'dropequal'];
  if (needsTarget.includes(action) && cfg.targetLabel === '') {
    throw new RelabelConfigError(`relabel config #${i + 1}: action ${action} requires 'target_label'`);
  }
  if (action === 'hashmod' && cfg.modulus === 0) throw new RelabelConfigError(`relabel config #${i + 1}: action hashmod requires a non-zero 'modulus'`);
  if ((action === 'labeldrop' || action === 'labelkeep') && (sourceLabels.length > 0 || cfg.targetLabel !== '' || o['replacement'] !== undefined)) {
    throw new RelabelConfigError(`relabel config #${i + 1}: action ${action} takes only 'regex'`);
  }
  if ((action === 'keepequal' || action === 'dropequal') && regexSource !== DEFAULT_REGEX) {
    throw new RelabelConfigError(`relabel config #${i + 1}: action ${action} does not take 'regex'`);
  }
  return cfg;
}

/**
 * VictoriaMetrics's `extra_label=name=value` query args as relabel steps that set each label,
 * overriding one of the same name. Throws RelabelConfigError for an arg without `=` or a name.
 */
export function extraLabelConfigs(args: readonly string[]): RelabelConfig[] {
  return args.map((arg) => {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new RelabelConfigError(`invalid extra_label ${JSON.stringify(arg)}: want name=value`);
    return {
      action: 'replace',
      sourceLabels: [],
      separator: ';',
      regexSource: DEFAULT_REGEX,
      regex: compileRelabelRegex(DEFAULT_REGEX),
      modulus: 0,
      targetLabel: arg.slice(0, eq),
      // The value is literal: escape the template's `$`.
      replacement: arg.slice(eq + 1).replaceAll('$', '$$$$'),
    };
  });
}

/** Parses relabel configs from YAML: a list, or a mapping with a `relabel_configs` list. */
export function parseRelabelConfigs(yamlText: string, source = 'relabel config'): RelabelConfig[] {
  let doc: unknown;
  try {
    doc = parseYaml(yamlText);
  } catch (e) {
    throw new RelabelConfigError(`${source}: invalid YAML: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return [];
  if (!Array.isArray(doc) && typeof doc === 'object' && 'relabel_configs' in doc) doc = (doc as Record<string, unknown>)['relabel_configs'] ?? [];
  if (!Array.isArray(doc)) throw new RelabelConfigError(`${source}: want a list of relabel configs`);
  try {
    return doc.map((raw, i) => toConfig(raw, i));
  } catch (e) {
    if (e instanceof RelabelConfigError) throw new RelabelConfigError(`${source}: ${e.message}`);
    throw e;
  }
}

export function loadRelabelConfig(path: string): RelabelConfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new RelabelConfigError(`cannot read relabel config ${path}: ${(e as Error).message}`);
  }
  return parseRelabelConfigs(text, path);
}

/** Go regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`; unknown or unmatched groups expand to ''. */
export function expandTemplate(template: string, m: RegexMatch): string {
  if (!template.includes('$')) return template;
  let out = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = template[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    let name: string | undefined;
    let end = i + 1;
    if (next === '{') {
      const close = template.indexOf('}', i + 2);
      const inner = close < 0 ? '' : template.slice(i + 2, close);
      if (close >= 0 && /^\w+$/.test(inner)) {
        name = inner;
        end = close + 1;
      }
    } else {
      const w = /^\w+/.exec(template.slice(i + 1));
      if (w) {
        name = w[0];
        end = i + 1 + name.length;
      }
    }
    if (name === undefined) {
      out += '$';
      i++;
      continue;
    }
    let v: string | undefined;
    if (/^\d+$/.test(name)) v = m[Number(name)];
    else v = m.groups?.[name];
    out += v ?? '';
    i = end;
  }
  return out;
}

function md5Mod(val: string, modulus: number): number {
  const h = createHash('md5').update(val, 'utf8').digest();
  // Prometheus's sum64 keeps the last 8 bytes of the digest, big-endian.
  return Number(h.readBigUInt64BE(8) % BigInt(modulus));
}

/** A mutable label set during relabeling (small: a Map is simplest and fast enough). */
function get(lb: Map<string, string>, name: string): string {
  return lb.get(name) ?? '';
}

function set(lb: Map<string, string>, name: string, value: string): void {
  if (value === '') lb.delete(name);
  else lb.set(name, value);
}

/** Applies configs in order. Returns the new sorted label set, or null when the series is dropped. */
export function applyRelabel(configs: readonly RelabelConfig[], labels: Labels): Labels | null {
  if (configs.length === 0) return labels;
  const lb = new Map<string, string>();
  for (const l of labels) lb.set(l.name, l.value);
  for (const c of configs) {
    let val = '';
    for (let i = 0; i < c.sourceLabels.length; i++) {
      if (i > 0) val += c.separator;
      val += get(lb, c.sourceLabels[i]!);
    }
    switch (c.action) {
      case 'drop':
        if (c.regex.test(val)) return null;
        break;
      case 'keep':
        if (!c.regex.test(val)) return null;
        break;
      case 'dropequal':
        if (get(lb, c.targetLabel) === val) return null;
        break;
      case 'keepequal':
        if (get(lb, c.targetLabel) !== val) return null;
        break;
      case 'replace': {
        const m = c.regex.exec(val);
        if (m === null) break;
        const target = expandTemplate(c.targetLabel, m);
        if (target === '' || !isWellFormed(target)) break;
        set(lb, target, expandTemplate(c.replacement, m));
        break;
      }
      case 'lowercase':
        set(lb, c.targetLabel, val.toLowerCase());
        break;
      case 'uppercase':
        set(lb, c.targetLabel, val.toUpperCase());
        break;
      case 'hashmod':
        set(lb, c.targetLabel, String(md5Mod(val, c.modulus)));
        break;
      case 'labelmap':
        for (const [name, value] of [...lb]) {
          const m = c.regex.exec(name);
          if (m !== null) {
            const res = expandTemplate(c.replacement, m);
            if (res !== '') lb.set(res, value);
          }
        }
        break;
      case 'labeldrop':
        for (const name of [...lb.keys()]) if (c.regex.test(name)) lb.delete(name);
        break;
      case 'labelkeep':
        for (const name of [...lb.keys()]) if (!c.regex.test(name)) lb.delete(name);
        break;
    }
  }
  if (lb.size === 0) return null;
  const out: Label[] = [];
  for (const [name, value] of lb) out.push({ name, value });
  return sortLabels(out);
}

/**
 * Holds the current configs (reloadable) and relabels decoded batches. Results are cached per
 * input key, so a known series costs one Map lookup; the cache is cleared on reload.
 */
export class Relabeler {
  private configs: readonly RelabelConfig[];
  private readonly cache = new Map<string, string | null>();
  private readonly limits: IngestLimits;
  /** Cumulative counts of what relabeling dropped (for self-monitoring). */
  droppedSeries = 0;
  droppedSamples = 0;

  constructor(
    configs: readonly RelabelConfig[] | string,
    limits?: Partial<IngestLimits>,
    private readonly maxCache = 200_000,
  ) {
    this.path = typeof configs === 'string' ? configs : undefined;
    this.configs = typeof configs === 'string' ? (configs === '' ? [] : loadRelabelConfig(configs)) : configs;
    this.limits = resolveLimits(limits);
  }

  readonly path: string | undefined;

  get current(): readonly RelabelConfig[] {
    return this.configs;
  }

  get active(): boolean {
    return this.configs.length > 0;
  }

  /** Re-reads the file; on error the old configs stay in force and the error is thrown. */
  reload(): void {
    if (this.path === undefined || this.path === '') return;
    this.configs = loadRelabelConfig(this.path);
    this.cache.clear();
  }

  /** Reloads on SIGHUP; `onResult` hears about every attempt. Returns the unsubscribe function. */
  watchSighup(onResult: (err: Error | null) => void = () => {}): () => void {
    const handler = (): void => {
      try {
        this.reload();
        onResult(null);
      } catch (e) {
        onResult(e as Error);
      }
    };
    process.on('SIGHUP', handler);
    return () => {
      process.off('SIGHUP', handler);
    };
  }

  /** The key a series has after relabeling, or null when it is dropped. */
  private relabelKey(batch: DecodedBatch, i: number): string | null {
    return this.keyAfterRelabel(batch.keys[i]!, () => batch.labels(i));
  }

  private keyAfterRelabel(key: string, labelsOf: () => Labels): string | null {
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const out = applyRelabel(this.configs, labelsOf());
    let res: string | null = null;
    if (out !== null) {
      const copy = out.slice();
      // Relabeling can produce names or values the decoder never saw: validate again.
      if (checkLabels(copy, this.limits) === null) res = canonicalKey(copy);
    }
    if (this.cache.size >= this.maxCache) this.cache.clear();
    this.cache.set(key, res);
    return res;
  }

  /** Exemplars follow their series: relabeled with it, dropped with it. */
  private relabelExemplars(rows: readonly ExemplarRow[]): ExemplarRow[] {
    const out: ExemplarRow[] = [];
    for (const row of rows) {
      const key = this.keyAfterRelabel(row.series, () => labelsFromKey(row.series));
      if (key !== null) out.push({ ...row, series: key });
    }
    return out;
  }

  /** A batch with relabeled series (merged when two map to one), dropped series' samples removed. */
  relabelBatch(batch: DecodedBatch): DecodedBatch {
    if (this.configs.length === 0) return batch;
    const n = batch.seriesCount;
    const map = new Int32Array(n);
    const keys: string[] = [];
    const index = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const k = this.relabelKey(batch, i);
      if (k === null) {
        map[i] = -1;
        this.droppedSeries++;
        continue;
      }
      let j = index.get(k);
      if (j === undefined) {
        j = keys.length;
        keys.push(k);
        index.set(k, j);
      }
      map[i] = j;
    }
    const count = batch.sampleCount;
    const si = new Uint32Array(count);
    const ts = new Float64Array(count);
    const vs = new Float64Array(count);
    // Copy values as raw words: staleness-marker NaN payloads must survive.
    const src = new Uint32Array(batch.values.buffer, batch.values.byteOffset, count * 2);
    const dst = new Uint32Array(vs.buffer);
    let w = 0;
    for (let r = 0; r < count; r++) {
      const m = map[batch.seriesIndex[r]!]!;
      if (m < 0) continue;
      si[w] = m;
      ts[w] = batch.timestamps[r]!;
      dst[2 * w] = src[2 * r]!;
      dst[2 * w + 1] = src[2 * r + 1]!;
      w++;
    }
    this.droppedSamples += count - w;
    const histogramRows = remapHistogramRows(batch.histogramRows, map);
    if (batch.histogramRows) this.droppedSamples += batch.histogramRows.count - (histogramRows?.count ?? 0);
    return new ColumnBatch({
      seriesCount: keys.length,
      keys,
      sampleCount: w,
      seriesIndex: si.subarray(0, w),
      timestamps: ts.subarray(0, w),
      values: vs.subarray(0, w),
      dropped: { series: batch.dropped.series, samples: batch.dropped.samples, reasons: [...batch.dropped.reasons] },
      exemplars: batch.exemplars,
      histograms: histogramRows?.count ?? 0,
      ...(histogramRows ? { histogramRows } : {}),
      exemplarRows: batch.exemplarRows && this.relabelExemplars(batch.exemplarRows),
      metadata: [...batch.metadata],
    });
  }
}

/** The histogram samples of the series relabeling kept, their series renumbered by `map`. */
function remapHistogramRows(rows: HistogramBatchRows | undefined, map: Int32Array): HistogramBatchRows | undefined {
  if (rows === undefined) return undefined;
  let kept = 0;
  for (let r = 0; r < rows.count; r++) if (map[rows.seriesIndex[r]!]! >= 0) kept++;
  if (kept === 0) return undefined;
  const seriesIndex = new Uint32Array(kept);
  const timestamps = new Float64Array(kept);
  const offsets = new Uint32Array(kept + 1);
  let size = 0;
  for (let r = 0; r < rows.count; r++) if (map[rows.seriesIndex[r]!]! >= 0) size += rows.offsets[r + 1]! - rows.offsets[r]!;
  const bytes = new Uint8Array(size);
  let w = 0;
  for (let r = 0; r < rows.count; r++) {
    const m = map[rows.seriesIndex[r]!]!;
    if (m < 0) continue;
    seriesIndex[w] = m;
    timestamps[w] = rows.timestamps[r]!;
    bytes.set(rows.bytes.subarray(rows.offsets[r]!, rows.offsets[r + 1]!), offsets[w]!);
    offsets[w + 1] = offsets[w]! + rows.offsets[r + 1]! - rows.offsets[r]!;
    w++;
  }
  return { count: kept, seriesIndex, timestamps, offsets, bytes };
}
