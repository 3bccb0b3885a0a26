/** Per-request validation limits, mirroring the `--maxLabelsPerTimeseries` / `--maxLabelValueLen` flags. */
export interface IngestLimits {
  /** A series with more labels (after dropping empty-valued ones) is dropped. */
  readonly maxLabelsPerTimeseries: number;
  /** Longest accepted label value, in UTF-8 bytes; a series with a longer value is dropped. */
  readonly maxLabelValueLen: number;
  /** Longest accepted label name, in UTF-8 bytes. */
  readonly maxLabelNameLen: number;
  /**
   * `utf8`: any non-empty valid UTF-8 name, as Prometheus 3 accepts by default.
   * `legacy`: `[a-zA-Z_][a-zA-Z0-9_]*` for label names and `[a-zA-Z_:][a-zA-Z0-9_:]*` for metric names.
   */
  readonly nameValidation: 'utf8' | 'legacy';
  /** Largest decompressed remote-write body, in bytes; larger bodies fail with 413. */
  readonly maxDecompressedBytes: number;
  /** How many drop reasons are kept verbatim in `dropped.reasons`. */
  readonly maxReasons: number;
}

export const DEFAULT_LIMITS: IngestLimits = Object.freeze({
  maxLabelsPerTimeseries: 40,
  maxLabelValueLen: 4096,
  maxLabelNameLen: 4096,
  nameValidation: 'utf8',
  maxDecompressedBytes: 64 * 1024 * 1024,
  maxReasons: 10,
});

/** Fills unspecified limits with defaults, rejecting nonsensical values early. */
export function resolveLimits(partial?: Partial<IngestLimits>): IngestLimits {
  const l = { ...DEFAULT_LIMITS, ...partial };
  for (const k of ['maxLabelsPerTimeseries', 'maxLabelValueLen', 'maxLabelNameLen', 'maxDecompressedBytes', 'maxReasons'] as const) {
    const v = l[k];
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`ingest limit ${k} must be a non-negative integer, got ${String(v)}`);
  }
  if (l.nameValidation !== 'utf8' && l.nameValidation !== 'legacy') {
    throw new RangeError(`ingest limit nameValidation must be 'utf8' or 'legacy', got ${String(l.nameValidation)}`);
  }
  return Object.freeze(l);
}
