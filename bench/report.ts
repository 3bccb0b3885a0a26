/**
 * One table for the whole run: ingestion and query figures per target side by side, with the
 * ratios Strata ÷ VictoriaMetrics, Strata ÷ Prometheus and VictoriaMetrics ÷ Prometheus. A cell a
 * target could not produce says "n/a (reason)"; series counts that disagree are flagged.
 */
import os from 'node:os';
import type { IngestResult } from './ingest-e2e.js';
import type { QueryResult } from './query-e2e.js';
import type { ScaleResult } from './scale.js';
import type { BenchQuery } from './queries.js';
import type { TargetId } from './targets/index.js';

export interface TargetRun {
  readonly id: TargetId;
  readonly label: string;
  version: string;
  /** Why this target did not run at all (missing binary, failed start), else ''. */
  skipped: string;
  ingest: IngestResult | null;
  ingestError: string;
  queries: QueryResult[];
  queryError: string;
  /** 1-minute load average when this target started: the machine may be shared. */
  loadAtStart?: number;
  /** The scale profile's phases (16-way mix, full scan, churn). */
  scale?: ScaleResult;
}

export interface MicroRun {
  readonly name: string;
  readonly error: string;
  readonly seconds: number;
  readonly result: unknown;
}

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memGiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly load: string;
  /** Load average when the run finished: the machine may be shared, and this says how busy it was. */
  loadAtEnd?: string;
}

export interface DatasetSummary {
  readonly hosts: number;
  readonly scrapeIntervalSec: number;
  readonly durationMin: number;
  readonly churn: string;
  readonly totalSamples: number;
  readonly activeSeries: number;
  readonly seriesCreated: number;
  readonly requests: number;
  readonly samplesPerRequest: number;
  readonly connections: number;
  readonly compressedMiB: number;
  readonly generationSec: number;
}

export interface BenchReport {
  readonly profile: string;
  readonly startedAt: string;
  readonly wallSeconds: number;
  readonly machine: MachineInfo;
  readonly dataset: DatasetSummary;
  readonly queries: readonly BenchQuery[];
  readonly targets: readonly TargetRun[];
  readonly micro: readonly MicroRun[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    load: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}

/** A cell: a number to compare (or null) and what to print. */
interface Cell {
  readonly value: number | null;
  readonly text: string;
}

const na = (reason: string): Cell => ({ value: null, text: `n/a (${shorten(reason)})` });

function shorten(s: string, max = 48): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length <= max ? one : one.slice(0, max - 1) + '…';
}

/** 3 significant digits, thousands separated, no exponent for the ranges we print. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const abs = Math.abs(v);
  if (abs >= 1000) return Math.round(v).toLocaleString('en-US');
  if (abs >= 100) return v.toFixed(0);
  if (abs >= 10) return v.toFixed(1);
  if (abs >= 1) return v.toFixed(2);
  if (abs === 0) return '0';
  return v.toPrecision(3);
}

/** Integer counts: thousands separated, never decimals. */
export const fmtInt = (v: number): string => Math.round(v).toLocaleString('en-US');

const ratio = (a: Cell, b: Cell): string =>
  a.value !== null && b.value !== null && b.value !== 0 && Number.isFinite(a.value) && Number.isFinite(b.value) ? `${fmt(a.value / b.value)}×` : '–';

interface Row {
  readonly name: string;
  readonly cell: (t: TargetRun) => Cell;
}

function ingestCell(t: TargetRun, pick: (r: IngestResult) => number | null, unit: string, whyNull?: (r: IngestResult) => string): Cell {
  if (t.skipped) return na(t.skipped);
  if (!t.ingest) return na(t.ingestError || 'not run');
  const v = pick(t.ingest);
  if (v === null || !Number.isFinite(v)) return na(whyNull ? whyNull(t.ingest) : 'not measured');
  return { value: v, text: `${fmt(v)}${unit}` };
}

const MiB = 2 ** 20;

function rows(report: BenchReport): Row[] {
  const out: Row[] = [
    {
      name: 'ingest: samples/s (↑)',
      cell: (t) => {
        const c = ingestCell(
          t,
          (r) => (r.samplesAccepted > 0 ? r.samplesPerSecond : null),
          '',
          (r) => r.firstError || 'nothing accepted',
        );
        if (c.value === null || !t.ingest) return c;
        const flags = [!t.ingest.complete ? 'time budget hit' : '', t.ingest.failedRequests ? `${t.ingest.failedRequests} req failed` : '']
          .filter(Boolean)
          .join(', ');
        return flags ? { value: c.value, text: `${c.text} (${flags})` } : c;
      },
    },
    { name: 'ingest: server CPU s per 1M samples (↓)', cell: (t) => ingestCell(t, (r) => (r.samplesAccepted > 0 ? r.cpuSecondsPerMillion : null), ' s') },
    {
      name: 'ingest: server CPU s per 1M samples incl. flush/merge (↓)',
      cell: (t) =>
        ingestCell(
          t,
          (r) => (r.samplesAccepted > 0 && r.diskBytes !== null ? r.cpuSecondsPerMillionWithPersist : null),
          ' s',
          (r) => r.persistNote || 'no persist',
        ),
    },
    { name: 'ingest: peak RSS MiB (↓)', cell: (t) => ingestCell(t, (r) => r.peakRssBytes / MiB, '') },
    ...(report.profile === 'scale'
      ? [
          { name: 'ingest: peak RSS MiB while sending (↓)', cell: (t: TargetRun) => ingestCell(t, (r) => r.sendPeakRssBytes / MiB, '') },
          { name: 'ingest: peak RSS MiB during flush/merge (↓)', cell: (t: TargetRun) => ingestCell(t, (r) => r.persistPeakRssBytes / MiB, '') },
          { name: 'ingest: flush + merge seconds after the burst (↓)', cell: (t: TargetRun) => ingestCell(t, (r) => r.persistSeconds, ' s') },
        ]
      : []),
    { name: 'ingest: steady RSS MiB after flush (↓)', cell: (t) => ingestCell(t, (r) => r.steadyRssBytes / MiB, '') },
    {
      name: 'disk: bytes per sample, total (↓)',
      cell: (t) =>
        ingestCell(
          t,
          (r) => r.bytesPerSample,
          '',
          (r) => r.persistNote || 'no persist',
        ),
    },
    {
      name: 'disk: bytes per sample, without index (↓)',
      cell: (t) =>
        ingestCell(
          t,
          (r) => (r.diskBytes !== null && r.indexBytes !== null && r.samplesAccepted > 0 ? (r.diskBytes - r.indexBytes) / r.samplesAccepted : null),
          '',
          (r) => r.persistNote || 'index not separable',
        ),
    },
    {
      name: 'disk: index bytes per series created (↓)',
      cell: (t) =>
        ingestCell(
          t,
          (r) => (r.indexBytes !== null && r.complete ? r.indexBytes / report.dataset.seriesCreated : null),
          '',
          (r) => (r.complete ? r.persistNote || 'index not separable' : 'partial ingest'),
        ),
    },
  ];
  for (const q of report.queries) {
    const find = (t: TargetRun): QueryResult | undefined => t.queries.find((r) => r.id === q.id);
    const pre = (t: TargetRun): Cell | null => {
      if (t.skipped) return na(t.skipped);
      if (!t.ingest) return na(t.ingestError || 'no data ingested');
      if (t.queryError) return na(t.queryError);
      const r = find(t);
      if (!r) return na('not run');
      if (r.error && !Number.isFinite(r.p50Ms)) return na(r.error);
      return null;
    };
    out.push({
      name: `${q.id} p50 ms (↓)`,
      cell: (t) => {
        const early = pre(t);
        if (early) return early;
        const r = find(t)!;
        const check = seriesCheck(report, q, t);
        const agree = t.id === 'strata' ? valueCheck(report, q, t) : null;
        const vs = agree === null ? '' : agree.same ? ' · ≈P' : ' · ≠P';
        return { value: r.p50Ms, text: `${fmt(r.p50Ms)} (p90 ${fmt(r.p90Ms)}) · ${r.seriesCount}${check}${vs}` };
      },
    });
    if (report.profile !== 'scale')
      out.push({
        name: `${q.id} q/s @16 (↑)`,
        cell: (t) => {
          const early = pre(t);
          if (early) return early;
          const r = find(t)!;
          if (!Number.isFinite(r.qps)) return na(r.error || 'no run finished');
          return { value: r.qps, text: fmt(r.qps) };
        },
      });
  }
  out.push(geomeanRow(report, 'p50'), geomeanRow(report, 'p90'));
  if (report.profile === 'scale') out.push(...scaleRows());
  return out;
}

/** Rows of the scale phases; a cell is n/a when the phase did not run or failed. */
function scaleRows(): Row[] {
  const phase = <K extends 'concurrent' | 'fullScan' | 'churn'>(
    t: TargetRun,
    k: K,
    pick: (p: NonNullable<ScaleResult[K]>) => number | null,
    unit: string,
  ): Cell => {
    if (t.skipped) return na(t.skipped);
    if (!t.scale) return na(t.queryError || t.ingestError || 'not run');
    const p = t.scale[k];
    if (!p) return na(t.scale.error || 'not run');
    const v = pick(p as NonNullable<ScaleResult[K]>);
    if (v === null || !Number.isFinite(v)) return na('not measured');
    return { value: v, text: `${fmt(v)}${unit}` };
  };
  const seq = (t: TargetRun, pick: (s: ScaleResult) => number, unit: string): Cell =>
    t.scale ? { value: pick(t.scale), text: `${fmt(pick(t.scale))}${unit}` } : na(t.skipped || t.queryError || 'not run');
  return [
    { name: 'sequential queries: server CPU ms per query (↓)', cell: (t) => seq(t, (s) => s.sequentialCpuSecondsPerQuery * 1000, '') },
    { name: 'sequential queries: peak RSS MiB (↓)', cell: (t) => seq(t, (s) => s.sequentialPeakRssBytes / MiB, '') },
    { name: '16-way query mix: q/s (↑)', cell: (t) => phase(t, 'concurrent', (c) => c.qps, '') },
    { name: '16-way query mix: p50 ms (↓)', cell: (t) => phase(t, 'concurrent', (c) => c.p50Ms, '') },
    { name: '16-way query mix: p99 ms (↓)', cell: (t) => phase(t, 'concurrent', (c) => c.p99Ms, '') },
    {
      name: '16-way query mix: errors (↓)',
      cell: (t) => {
        const c = phase(t, 'concurrent', (x) => x.errors, '');
        const e = t.scale?.concurrent;
        return c.value !== null && e && e.errors > 0
          ? { value: c.value, text: `${c.text} of ${e.requests}` }
          : c.value !== null && e
            ? { value: c.value, text: `0 of ${e.requests}` }
            : c;
      },
    },
    { name: '16-way query mix: server CPU ms per query (↓)', cell: (t) => phase(t, 'concurrent', (c) => c.cpuSecondsPerQuery * 1000, '') },
    { name: '16-way query mix: peak RSS MiB (↓)', cell: (t) => phase(t, 'concurrent', (c) => c.peakRssBytes / MiB, '') },
    {
      name: 'full scan (count_over_time of every sample): ms (↓)',
      cell: (t) => (t.scale?.fullScan?.error ? na(t.scale.fullScan.error) : phase(t, 'fullScan', (f) => f.ms, '')),
    },
    { name: 'full scan: peak RSS MiB (↓)', cell: (t) => phase(t, 'fullScan', (f) => f.peakRssBytes / MiB, '') },
    { name: 'churn: new series/s (↑)', cell: (t) => phase(t, 'churn', (c) => (c.failedRequests ? null : c.seriesPerSecond), '') },
    { name: 'churn: server CPU s per 10k new series (↓)', cell: (t) => phase(t, 'churn', (c) => (c.cpuSeconds / c.newSeries) * 1e4, ' s') },
    { name: 'churn: peak RSS MiB (↓)', cell: (t) => phase(t, 'churn', (c) => c.peakRssBytes / MiB, '') },
  ];
}

/**
 * The geometric mean of a latency quantile over the queries every running target answered. Over
 * one common set of queries, the ratio of two targets' geomeans is the geomean of the per-query
 * ratios: the one-number comparison the ratio columns then show.
 */
function geomeanRow(report: BenchReport, which: 'p50' | 'p90'): Row {
  const pick = (r: QueryResult): number => (which === 'p50' ? r.p50Ms : r.p90Ms);
  const running = report.targets.filter((t) => !t.skipped && t.ingest && !t.queryError);
  const answered = (t: TargetRun, id: string): number | null => {
    const r = t.queries.find((x) => x.id === id);
    return r && Number.isFinite(pick(r)) && pick(r) > 0 ? pick(r) : null;
  };
  const common = report.queries.map((q) => q.id).filter((id) => running.length > 0 && running.every((t) => answered(t, id) !== null));
  return {
    name: `queries: ${which} geomean ms (↓)`,
    cell: (t) => {
      if (t.skipped) return na(t.skipped);
      if (!running.includes(t)) return na(t.queryError || t.ingestError || 'no queries run');
      if (common.length === 0) return na('no query answered by every target');
      let logSum = 0;
      for (const id of common) logSum += Math.log(answered(t, id)!);
      const g = Math.exp(logSum / common.length);
      const of = common.length < report.queries.length ? ` (${common.length} of ${report.queries.length} queries)` : ` (${common.length} queries)`;
      return { value: g, text: `${fmt(g)}${of}` };
    },
  };
}

/** '' when the count matches what is expected (or every other target agrees), else a flag. */
function seriesCheck(report: BenchReport, q: BenchQuery, t: TargetRun): string {
  const mine = t.queries.find((r) => r.id === q.id);
  if (!mine) return '';
  const expected = mine.expectedSeries;
  if (expected !== null) return mine.seriesCount === expected ? ' ✓' : ` ✗ (want ${expected})`;
  const others = report.targets
    .filter((o) => o !== t && !o.skipped)
    .map((o) => o.queries.find((r) => r.id === q.id))
    .filter((r): r is QueryResult => !!r && Number.isFinite(r.p50Ms));
  if (others.length === 0) return '';
  return others.every((o) => o.seriesCount === mine.seriesCount) ? ' =' : ' ≠';
}

/**
 * Strata's answer against Prometheus's (the reference semantics; MetricsQL differs on purpose):
 * same number of points and value sums equal within 1e-6 relative. null when either did not run.
 */
export function valueCheck(report: BenchReport, q: BenchQuery, t: TargetRun): { same: boolean; detail: string } | null {
  const prom = byId(report, 'prometheus')?.queries.find((r) => r.id === q.id);
  const mine = t.queries.find((r) => r.id === q.id);
  if (!prom || !mine || !Number.isFinite(prom.p50Ms) || !Number.isFinite(mine.p50Ms)) return null;
  if (prom.points !== mine.points) return { same: false, detail: `${mine.points} points, Prometheus ${prom.points}` };
  const scale = Math.max(Math.abs(prom.valueSum), Math.abs(mine.valueSum), 1e-300);
  const rel = Math.abs(prom.valueSum - mine.valueSum) / scale;
  if (rel <= 1e-6 || prom.valueSum === mine.valueSum) return { same: true, detail: '' };
  return {
    same: false,
    detail: `value sum ${mine.valueSum.toPrecision(8)}, Prometheus ${prom.valueSum.toPrecision(8)} (${(rel * 100).toPrecision(2)}% apart)`,
  };
}

const byId = (report: BenchReport, id: TargetId): TargetRun | undefined => report.targets.find((t) => t.id === id);

function mdTable(header: readonly string[], body: readonly (readonly string[])[]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = [`| ${header.map(esc).join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ':---' : '---:')).join('|')}|`];
  for (const r of body) lines.push(`| ${r.map(esc).join(' | ')} |`);
  return lines.join('\n');
}

export function renderReport(report: BenchReport): string {
  const s = byId(report, 'strata');
  const vm = byId(report, 'victoriametrics');
  const prom = byId(report, 'prometheus');
  const empty = (): Cell => ({ value: null, text: 'n/a (not selected)' });
  const header = ['', 'Strata', 'VictoriaMetrics', 'Prometheus', 'Strata ÷ VM', 'Strata ÷ Prom', 'VM ÷ Prom'];
  const body = rows(report).map((row) => {
    const cs = s ? row.cell(s) : empty();
    const cv = vm ? row.cell(vm) : empty();
    const cp = prom ? row.cell(prom) : empty();
    return [row.name, cs.text, cv.text, cp.text, ratio(cs, cv), ratio(cs, cp), ratio(cv, cp)];
  });
  const m = report.machine;
  const d = report.dataset;
  const parts: string[] = [];
  parts.push(`## Strata benchmark — ${report.profile} profile, ${report.startedAt}`);
  parts.push('');
  parts.push(
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memGiB} GiB RAM, ${m.kernel}, Node ${m.node}; load average at start ${m.load}${m.loadAtEnd ? `, at end ${m.loadAtEnd}` : ''}.`,
  );
  parts.push(`Versions: ${report.targets.map((t) => `${t.label}: ${t.version}`).join('; ')}.`);
  parts.push(
    `Data: ${d.hosts} node_exporter-like hosts, ${d.scrapeIntervalSec} s scrape interval, ${d.durationMin} min, churn ${d.churn}; ` +
      `${fmtInt(d.totalSamples)} samples, ${fmtInt(d.activeSeries)} active series (${fmtInt(d.seriesCreated)} created), ` +
      `${fmtInt(d.requests)} remote-write requests of ≤ ${fmtInt(d.samplesPerRequest)} samples (${fmt(d.compressedMiB)} MiB snappy), ` +
      `${d.connections} connections. Generated in ${fmt(d.generationSec)} s (not measured).`,
  );
  parts.push('');
  parts.push(mdTable(header, body));
  parts.push('');
  parts.push(
    'Ratios are Strata ÷ other (VM ÷ Prometheus in the last column); ↑ higher is better, ↓ lower is better. ' +
      'Query cells: p50 (p90) ms sequentially · result series; ✓/✗ against the count the generator implies, =/≠ against the other targets; ' +
      "≈P/≠P: Strata's points and value sum agree/disagree with Prometheus's (details in the notes). " +
      'Disk: VictoriaMetrics data+indexdb after force_flush+force_merge; Prometheus the snapshot (head compacted, WAL excluded); Strata its data dir after force_flush+force_merge. ' +
      'CPU is user+system time of the server process (all threads) while the requests were in flight, and again up to the end of the flush/merge/snapshot.',
  );
  parts.push('');
  parts.push('Queries:');
  for (const q of report.queries) parts.push(`- ${q.id} (${q.window}): \`${q.expr}\``);
  const notes: string[] = [];
  for (const t of report.targets) {
    if (t.skipped) notes.push(`${t.label}: not run — ${t.skipped}`);
    if (t.ingestError) notes.push(`${t.label}: ingestion — ${t.ingestError}`);
    if (t.ingest) {
      const i = t.ingest;
      notes.push(
        `${t.label}: ${fmtInt(i.samplesAccepted)} of ${fmtInt(i.samplesSent)} samples accepted in ${fmt(i.wallSeconds)} s; ` +
          `${i.requests} requests, ${i.failedRequests} failed${i.firstError ? ` (first: ${shorten(i.firstError, 160)})` : ''}; ` +
          `server CPU ${fmt(i.cpuSeconds)} s, client CPU ${fmt(i.clientCpuSeconds)} s; persist ${fmt(i.persistSeconds)} s${i.persistNote ? ` (${i.persistNote})` : ''}` +
          `${i.diskBytes !== null ? `, ${fmt(i.diskBytes / MiB)} MiB on disk` : ''}${i.complete ? '' : '; time budget ran out before all data was sent'}` +
          `${t.loadAtStart !== undefined ? `; machine load ${t.loadAtStart.toFixed(2)} when it started` : ''}.`,
      );
    }
    if (t.queryError) notes.push(`${t.label}: queries — ${t.queryError}`);
    // One note per distinct error, listing the queries that hit it.
    const byError = new Map<string, string[]>();
    for (const q of t.queries) if (q.error) byError.set(q.error, [...(byError.get(q.error) ?? []), q.id]);
    for (const [err, ids] of byError) notes.push(`${t.label} ${ids.join(', ')}: ${shorten(err, 200)}`);
    const sc = t.scale;
    if (sc) {
      if (sc.error) notes.push(`${t.label}: scale phases — ${shorten(sc.error, 200)}`);
      if (sc.concurrent?.firstError) notes.push(`${t.label} 16-way mix, first error: ${shorten(sc.concurrent.firstError, 200)}`);
      if (sc.fullScan)
        notes.push(`${t.label} full scan \`${sc.fullScan.expr}\` = ${sc.fullScan.value}${sc.fullScan.error ? ` (${shorten(sc.fullScan.error, 160)})` : ''}`);
      if (sc.churn)
        notes.push(
          `${t.label} churn: ${fmtInt(sc.churn.newSeries)} new series in ${fmt(sc.churn.seconds)} s${sc.churn.failedRequests ? `, ${sc.churn.failedRequests} requests failed (${shorten(sc.churn.firstError, 160)})` : ''}`,
        );
    }
    if (t.id === 'strata') {
      for (const q of report.queries) {
        const c = valueCheck(report, q, t);
        if (c && !c.same) notes.push(`Strata ${q.id} answer differs from Prometheus: ${c.detail}`);
      }
    }
  }
  if (notes.length) {
    parts.push('');
    parts.push('Notes:');
    for (const n of notes) parts.push(`- ${n}`);
  }
  if (report.micro.length) {
    parts.push('');
    parts.push('### Micro benchmarks (in-process, one core)');
    for (const mr of report.micro) {
      parts.push('');
      parts.push(`**${mr.name}** (${fmt(mr.seconds)} s)${mr.error ? `: n/a (${shorten(mr.error, 200)})` : ''}`);
      if (!mr.error) parts.push('', renderUnknown(mr.result));
    }
  }
  parts.push('');
  parts.push(`Whole run: ${fmt(report.wallSeconds)} s.`);
  return parts.join('\n');
}

/**
 * Renders whatever a micro benchmark returned: rows of objects as a table; an object's scalar
 * fields as key/value pairs and each of its arrays of rows as a table of its own.
 */
export function renderUnknown(result: unknown): string {
  const cellText = (v: unknown): string => (typeof v === 'number' ? fmt(v) : typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));
  const isRows = (v: unknown): v is Record<string, unknown>[] =>
    Array.isArray(v) && v.length > 0 && v.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r));
  const rowsTable = (objs: Record<string, unknown>[]): string => {
    const keys: string[] = [];
    for (const o of objs) for (const k of Object.keys(o)) if (!keys.includes(k)) keys.push(k);
    return mdTable(
      keys,
      objs.map((o) => keys.map((k) => cellText(o[k]))),
    );
  };
  if (isRows(result)) return rowsTable(result);
  if (result !== null && typeof result === 'object' && !Array.isArray(result)) {
    const entries = Object.entries(result as Record<string, unknown>);
    const scalars = entries.filter(([, v]) => !isRows(v));
    const tables = entries.filter(([, v]) => isRows(v)) as [string, Record<string, unknown>[]][];
    const parts: string[] = [];
    if (scalars.length)
      parts.push(
        mdTable(
          ['metric', 'value'],
          scalars.map(([k, v]) => [k, cellText(v)]),
        ),
      );
    for (const [k, v] of tables) parts.push(tables.length === 1 && scalars.length === 0 ? rowsTable(v) : `${k}:\n\n${rowsTable(v)}`);
    return parts.join('\n\n');
  }
  if (typeof result === 'string') return result;
  return '```\n' + (JSON.stringify(result, null, 2) ?? String(result)) + '\n```';
}
