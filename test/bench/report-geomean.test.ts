import { describe, expect, it } from 'vitest';
import { renderReport, type BenchReport, type TargetRun } from '../../bench/report.js';
import { QUERIES } from '../../bench/queries.js';
import type { QueryResult } from '../../bench/query-e2e.js';

const result = (id: string, p50Ms: number, p90Ms: number): QueryResult => ({
  id,
  error: '',
  seriesCount: 1,
  points: 1,
  valueSum: 1,
  expectedSeries: null,
  p50Ms,
  p90Ms,
  sequentialRuns: 5,
  qps: 1,
  concurrentRuns: 1,
});

const target = (id: 'strata' | 'victoriametrics', queries: QueryResult[]): TargetRun => ({
  id,
  label: id,
  version: '',
  skipped: '',
  ingestError: '',
  queryError: '',
  queries,
  ingest: {
    samplesSent: 1,
    samplesAccepted: 1,
    requests: 1,
    failedRequests: 0,
    firstError: '',
    wallSeconds: 1,
    samplesPerSecond: 1,
    cpuSeconds: 1,
    cpuSecondsPerMillion: 1,
    cpuSecondsPerMillionWithPersist: 1,
    clientCpuSeconds: 0,
    peakRssBytes: 1,
    sendPeakRssBytes: 1,
    persistPeakRssBytes: 1,
    steadyRssBytes: 1,
    diskBytes: 1,
    bytesPerSample: 1,
    indexBytes: null,
    persistNote: '',
    persistSeconds: 0,
    complete: true,
  },
});

const report = (s: QueryResult[], v: QueryResult[]): BenchReport => ({
  profile: 'quick',
  startedAt: '',
  wallSeconds: 0,
  machine: { cpuModel: '', cores: 1, memGiB: 1, kernel: '', node: '', load: '' },
  dataset: {
    hosts: 1,
    scrapeIntervalSec: 15,
    durationMin: 1,
    churn: '',
    totalSamples: 1,
    activeSeries: 1,
    seriesCreated: 1,
    requests: 1,
    samplesPerRequest: 1,
    connections: 1,
    compressedMiB: 0,
    generationSec: 0,
  },
  queries: QUERIES.slice(0, 3),
  targets: [target('strata', s), target('victoriametrics', v)],
  micro: [],
});

const row = (text: string, name: string): string[] =>
  text
    .split('\n')
    .find((l) => l.startsWith(`| ${name}`))!
    .split('|')
    .map((c) => c.trim());

describe('bench report geomean rows', () => {
  it('gives each target the geometric mean of its p50 and p90, and their ratio', () => {
    const text = renderReport(
      report([result('q01', 2, 4), result('q02', 8, 8), result('q03', 4, 2)], [result('q01', 1, 2), result('q02', 2, 4), result('q03', 4, 1)]),
    );
    const p50 = row(text, 'queries: p50 geomean');
    expect(p50[2]).toMatch(/^4(\.00)? \(3 queries\)$/);
    expect(p50[3]).toMatch(/^2(\.00)? \(3 queries\)$/);
    expect(parseFloat(p50[5]!)).toBeCloseTo(2, 2);
    expect(parseFloat(row(text, 'queries: p90 geomean')[5]!)).toBeCloseTo(2, 2);
  });

  it('uses only the queries every target answered', () => {
    const text = renderReport(report([result('q01', 2, 2), result('q02', 9, 9)], [result('q01', 1, 1), result('q02', 3, 3), result('q03', 5, 5)]));
    const p50 = row(text, 'queries: p50 geomean');
    expect(p50[2]).toContain('(2 of 3 queries)');
    expect(parseFloat(p50[5]!)).toBeCloseTo(Math.sqrt(6), 2);
  });
});
