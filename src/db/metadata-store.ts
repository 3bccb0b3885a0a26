import * as fs from 'node:fs';
import { log } from '../logger.js';
import type { MetricMetadata, MetricType } from '../ingest/index.js';

/**
 * Metric metadata (type, help, unit per metric family and tenant) as remote write 1.0 metadata
 * and 2.0 series carry it, kept in memory for `/api/v1/metadata` and saved to one JSON file so it
 * survives a restart. Saving is periodic (and on close): senders repeat metadata every minute or
 * so, so a crash loses at most one interval of changes that will come again anyway.
 * File layout: docs/format/manifest.md.
 */

const FORMAT_VERSION = 1;
/** Families kept per tenant; a sender inventing names without end cannot grow this without bound. */
const MAX_FAMILIES = 100_000;
const TYPES: ReadonlySet<string> = new Set<MetricType>(['unknown', 'counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset']);

interface FileFormat {
  version: number;
  tenants: Record<string, MetricMetadata[]>;
}

function isMetadata(m: unknown): m is MetricMetadata {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return typeof r.metricFamilyName === 'string' && typeof r.type === 'string' && TYPES.has(r.type) && typeof r.help === 'string' && typeof r.unit === 'string';
}

export class MetadataStore {
  private readonly tenants = new Map<string, Map<string, MetricMetadata>>();
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;

  private constructor(private readonly path: string) {}

  /** Loads the file if there is one; a damaged file is reported and ignored (metadata is resent). */
  static open(path: string, saveIntervalMs: number): MetadataStore {
    const store = new MetadataStore(path);
    try {
      const parsed = JSON.parse(fs.readFileSync(path, 'utf8')) as Partial<FileFormat>;
      if (parsed.version !== FORMAT_VERSION || typeof parsed.tenants !== 'object' || parsed.tenants === null) {
        throw new Error(`unknown format (version ${String(parsed.version)})`);
      }
      for (const [tenant, list] of Object.entries(parsed.tenants)) {
        if (!Array.isArray(list)) continue;
        for (const m of list) if (isMetadata(m)) store.set(tenant, m);
      }
      store.dirty = false;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        log.warn('metric metadata file unreadable; starting without it', { path, error: (e as Error).message });
      }
    }
    if (saveIntervalMs > 0) {
      store.timer = setInterval(() => store.saveQuietly(), saveIntervalMs);
      store.timer.unref();
    }
    return store;
  }

  get(tenant: string): ReadonlyMap<string, MetricMetadata> {
    return this.tenants.get(tenant) ?? new Map();
  }

  set(tenant: string, m: MetricMetadata): void {
    let families = this.tenants.get(tenant);
    if (!families) this.tenants.set(tenant, (families = new Map()));
    const old = families.get(m.metricFamilyName);
    if (old && old.type === m.type && old.help === m.help && old.unit === m.unit) return;
    if (!old && families.size >= MAX_FAMILIES) return;
    families.set(m.metricFamilyName, { metricFamilyName: m.metricFamilyName, type: m.type, help: m.help, unit: m.unit });
    this.dirty = true;
  }

  /** Writes the file if anything changed: temporary file, fsync, rename. */
  save(): void {
    if (!this.dirty) return;
    const data: FileFormat = { version: FORMAT_VERSION, tenants: {} };
    for (const [tenant, families] of this.tenants) data.tenants[tenant] = [...families.values()];
    const tmp = `${this.path}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeFileSync(fd, JSON.stringify(data));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.path);
    this.dirty = false;
  }

  private saveQuietly(): void {
    try {
      this.save();
    } catch (e) {
      log.error('saving metric metadata failed', { path: this.path, error: (e as Error).message });
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.saveQuietly();
  }
}
