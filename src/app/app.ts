/**
 * The running process: locks the data directory, opens the database, serves HTTP, and shuts down
 * in order (stop accepting → finish in-flight requests → flush → close the index → unlock).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { log, setLogLevel } from '../logger.js';
import { MetricsRegistry, type CollectedMetric } from '../metrics.js';
import { Database } from '../db/index.js';
import { DecodePool, Relabeler, loadRelabelConfig, resolveLimits } from '../ingest/index.js';
import { Forwarder, type ForwardOptions } from '../forward/index.js';
import { parseSeriesSelector } from '../promql/index.js';
import { lockDataDir } from '../runtime/index.js';
import {
  HttpServer,
  InsertLimiter,
  Router,
  ingestCounters,
  registerAdminRoutes,
  registerImportExportRoutes,
  registerIngestRoutes,
  registerOtlpRoutes,
  registerLabelRoutes,
  registerQueryRoutes,
  registerExemplarRoutes,
  registerRemoteReadRoutes,
  registerSnapshotRoutes,
  registerStatusRoutes,
} from '../server/index.js';
import { RollupResultCache } from '../query-cache/index.js';
import { assertNotHalfRestored } from '../snapshot/index.js';
import { ExemplarStore } from '../exemplars/index.js';
import { registerUiRoutes } from '../ui/index.js';

import { cacheMetrics } from './cache-metrics.js';
import { startMemoryCollector } from './memory-collector.js';
import { WriteHealth } from './write-health.js';
import { indexDamageMetrics, indexDamageRecord, logSalvage } from './index-health.js';

export interface RunningApp {
  readonly port: number;
  readonly metrics: MetricsRegistry;
  /** Graceful stop; resolves when everything is flushed and closed. */
  stop(): Promise<void>;
}

export async function startApp(config: Config, flags: Readonly<Record<string, string>>): Promise<RunningApp> {
  setLogLevel(config.loggerLevel);
  const lock = lockDataDir(config.storageDataPath);
  let ready = false;
  let db: Database | null = null;
  let decodePool: DecodePool | null = null;
  let exemplarStore: ExemplarStore | null = null;
  let stopCollector = (): void => {};
  let health: WriteHealth | null = null;
  let snapshotTimer: NodeJS.Timeout | null = null;
  try {
    mkdirSync(config.storageDataPath, { recursive: true });
    assertNotHalfRestored(config.storageDataPath);
    const metrics = new MetricsRegistry();
    const router = new Router();
    const indexDamage = indexDamageRecord();
    registerStatusRoutes(router, {
      metrics,
      flags,
      isReady: () => ready,
      notReadyReason: () => health?.readOnlyReason() ?? indexDamage.reason(),
      unhealthyReason: () => indexDamage.reason(),
    });
    metrics.addCollector(() => indexDamageMetrics(indexDamage));

    // Forwarding must be in place before the WAL opens: it keeps flushed segments it still needs.
    const forwarder = config.remoteWriteUrls.length > 0 ? new Forwarder(forwardOptions(config), metrics) : null;
    const opened = Date.now();
    db = await Database.open({
      ...(forwarder ? { walArchive: forwarder.archive } : {}),
      dataPath: config.storageDataPath,
      retentionMs: config.retentionPeriodMs,
      futureTimestampLimitMs: config.futureTimestampLimitMs,
      lifecycle: { retentionFilters: config.retentionFilters, downsampling: config.downsampling, mode: config.downsamplingKeep },
      maxHourlySeries: config.maxHourlySeries,
      maxDailySeries: config.maxDailySeries,
      dedupIntervalMs: config.dedupMinScrapeIntervalMs,
      flushIntervalMs: config.flushIntervalMs,
      walFsync: config.walFsync,
      walFsyncIntervalMs: config.walFsyncIntervalMs,
      maxSeriesPerQuery: config.searchMaxSeries,
      blockCacheBytes: config.searchBlockCacheSize,
      onStorageError: (message) => health?.noteStorageError(message),
      index: { damage: indexDamage, verify: config.indexVerifyOnStart ? 'deep' : 'light', onSalvage: logSalvage },
    });
    const database = db;
    const writeHealth = new WriteHealth({
      dataPath: config.storageDataPath,
      minFreeDiskSpaceBytes: config.storageMinFreeDiskSpaceBytes,
      flushIntervalMs: config.flushIntervalMs,
      progress: () => database.stats(),
    });
    health = writeHealth;
    writeHealth.start();
    metrics.addCollector(() => writeHealth.metrics());
    log.info('database opened', { ms: Date.now() - opened, series: database.stats().seriesTotal });
    forwarder?.start((id) => database.index.labelsOf(id));
    metrics.addCollector(() => storageMetrics(database));
    const collector = startMemoryCollector();
    stopCollector = () => collector.stop();
    metrics.addCollector(() => [
      {
        name: 'strata_forced_gc_total',
        help: 'Full GCs run because ingestion garbage outside the JS heap had piled up.',
        type: 'counter',
        samples: [{ value: collector.collections }],
      },
      { name: 'strata_forced_gc_seconds_total', help: 'Time spent in those GCs.', type: 'counter', samples: [{ value: collector.pauseMs / 1000 }] },
      {
        name: 'strata_malloc_trims_total',
        help: 'malloc_trim calls returning freed native memory to the OS.',
        type: 'counter',
        samples: [{ value: collector.trims }],
      },
      {
        name: 'strata_malloc_trim_seconds_total',
        help: 'Wall time those trims took (on a pool thread).',
        type: 'counter',
        samples: [{ value: collector.trimMs / 1000 }],
      },
    ]);

    const limits = resolveLimits({
      maxLabelsPerTimeseries: config.maxLabelsPerTimeseries,
      maxLabelValueLen: config.maxLabelValueLen,
      maxDecompressedBytes: Math.max(config.maxInsertRequestSize * 8, 64 * 1024 * 1024),
    });
    const relabeler = new Relabeler(config.relabelConfig, limits);
    const unwatch = relabeler.watchSighup((err) =>
      err
        ? log.error('relabel config reload failed; keeping the previous one', { error: err.message })
        : log.info('relabel config reloaded', { rules: relabeler.current.length }),
    );
    decodePool = new DecodePool({ limits });
    const pool = decodePool;
    const limiter = new InsertLimiter(config.maxConcurrentInserts);
    metrics.addCollector(() => [
      {
        name: 'strata_concurrent_inserts_current',
        help: 'Insert slots held right now (reading a body or storing it).',
        type: 'gauge',
        samples: [{ value: limiter.current }],
      },
      {
        name: 'strata_concurrent_inserts_capacity',
        help: 'Insert slots in all (--maxConcurrentInserts).',
        type: 'gauge',
        samples: [{ value: limiter.capacity }],
      },
      { name: 'strata_concurrent_inserts_queued', help: 'Insert requests waiting for a slot.', type: 'gauge', samples: [{ value: limiter.queued }] },
    ]);
    exemplarStore = ExemplarStore.open(join(config.storageDataPath, 'exemplars'), config.maxExemplars);
    const exemplars = exemplarStore;
    const ingest = { db: database, limits, limiter, metrics, decodePool: pool, relabeler, readOnlyReason: () => writeHealth.readOnlyReason(), exemplars };
    const counters = ingestCounters(metrics);
    registerIngestRoutes(router, ingest, counters);
    registerImportExportRoutes(router, ingest, counters);
    registerOtlpRoutes(router, ingest, counters, {
      strategy: config.otlpTranslationStrategy,
      promoteResourceAttributes: config.otlpPromoteResourceAttributes,
      promoteScopeMetadata: config.otlpPromoteScopeMetadata,
    });
    registerAdminRoutes(router, { db: database, parseSelector: parseSeriesSelector });
    registerSnapshotRoutes(router, { snapshots: database.snapshots });
    if (config.snapshotsMaxAgeMs > 0) {
      const expire = () => {
        try {
          database.snapshots.deleteOlderThan(config.snapshotsMaxAgeMs);
        } catch (e) {
          log.error('deleting old snapshots failed', { error: (e as Error).message });
        }
      };
      expire();
      // Every minute, or more often for ages under four minutes (they are mostly tests).
      snapshotTimer = setInterval(expire, Math.min(60_000, Math.max(1000, config.snapshotsMaxAgeMs / 4)));
      snapshotTimer.unref();
    }
    registerLabelRoutes(router, { db: database, maxSeries: config.searchMaxSeries });
    const rollupCache = new RollupResultCache(config.searchDisableCache ? 0 : config.searchRollupResultCacheSize, config.searchCacheTimestampOffsetMs);
    database.onDataChange(rollupCache);
    metrics.addCollector(() => cacheMetrics(database, rollupCache));
    registerQueryRoutes(router, {
      rollupCache,
      maxMemoryPerQuery: config.searchMaxMemoryPerQuery,
      maxConcurrentQueries: config.searchMaxConcurrentRequests,
      maxQueueDurationMs: config.searchMaxQueueDurationMs,
      db: database,
      maxQueryDurationMs: config.searchMaxQueryDurationMs,
      maxSamplesPerQuery: config.searchMaxSamplesPerQuery,
      maxSeries: config.searchMaxSeries,
      lookbackDeltaMs: config.searchLookbackDeltaMs,
      flags,
      startedAt: new Date(),
    });
    registerExemplarRoutes(router, { exemplars });
    registerRemoteReadRoutes(router, {
      db: database,
      maxSeries: config.searchMaxSeries,
      maxSamplesPerQuery: config.searchMaxSamplesPerQuery,
      maxQueryDurationMs: config.searchMaxQueryDurationMs,
      maxDecompressedBytes: limits.maxDecompressedBytes,
    });
    registerUiRoutes(router);

    const server = new HttpServer(router, {
      auth: { username: config.httpAuthUsername, password: config.httpAuthPassword, adminAuthKey: config.adminAuthKey },
      maxBodySize: config.maxInsertRequestSize,
      bodyReadTimeoutMs: config.insertMaxBodyReadDurationMs,
      tls: config.tls ? { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile } : undefined,
      metrics,
    });
    const { host, port } = config.httpListenAddr;
    const boundPort = await server.listen(host, port);
    ready = true;
    log.info('started', { listen: `${config.tls ? 'https' : 'http'}://${host}:${boundPort}`, dataDir: config.storageDataPath, pid: process.pid });

    let stopping: Promise<void> | null = null;
    return {
      port: boundPort,
      metrics,
      stop() {
        stopping ??= (async () => {
          ready = false;
          writeHealth.stop();
          server.stopAccepting();
          await server.drain(5000);
          unwatch();
          stopCollector();
          await forwarder?.stop();
          if (snapshotTimer) clearInterval(snapshotTimer);
          await pool.close();
          exemplars.close();
          await database.close();
          lock.release();
          log.info('stopped');
        })();
        return stopping;
      },
    };
  } catch (e) {
    health?.stop();
    stopCollector();
    if (snapshotTimer) clearInterval(snapshotTimer);
    await decodePool?.close().catch(() => undefined);
    exemplarStore?.close();
    await db?.close().catch(() => undefined);
    lock.release();
    throw e;
  }
}

/** Storage figures that go up and down; every other number the engine reports is a counter. */
const STORAGE_GAUGES = new Set([
  'pendingRows',
  'memtableBytes',
  'partitions',
  'diskBytes',
  'lastMergeDurationSeconds',
  'walBytes',
  'walSegments',
  'quarantinedParts',
  'rowsByPartType',
  'partsByType',
  'histogramRowsPending',
  'histogramParts',
  'histogramRows',
  'histogramDiskBytes',
]);

function storageMetrics(db: Database): CollectedMetric[] {
  const st = db.stats();
  const out: CollectedMetric[] = [
    { name: 'strata_series_total', help: 'Series in the label index.', type: 'gauge', samples: [{ value: st.seriesTotal }] },
    { name: 'strata_series_created_total', help: 'Series created since start.', type: 'counter', samples: [{ value: st.seriesCreated }] },
  ];
  for (const [key, value] of Object.entries(st)) {
    if (key === 'seriesTotal' || key === 'seriesCreated') continue;
    const gauge = STORAGE_GAUGES.has(key);
    let name =
      'strata_storage_' +
      key
        .replace(/ByPartType|ByType/, '')
        .replace(/Total$/, '')
        .replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
    if (!gauge) name += '_total';
    const help = `Storage engine: ${key}.`;
    if (value !== null && typeof value === 'object') {
      // Per-part-type breakdowns: one labelled series per type.
      const samples = Object.entries(value as Record<string, number>).map(([type, v]) => ({ labels: { type }, value: v }));
      out.push({ name, help, type: 'gauge', samples });
    } else if (typeof value === 'number') {
      out.push({ name, help, type: gauge ? 'gauge' : 'counter', samples: [{ value }] });
    }
  }
  return out;
}

/** --remoteWrite.* flags as the forwarder takes them; list flags given once apply to every URL. */
function forwardOptions(config: Config): ForwardOptions {
  const nth = (list: readonly string[], i: number): string => (list.length === 1 ? list[0]! : (list[i] ?? ''));
  return {
    dataPath: config.storageDataPath,
    queues: config.remoteWriteQueues,
    maxDiskUsagePerUrl: config.remoteWriteMaxDiskUsagePerUrl,
    relabel: config.remoteWriteRelabelConfig === '' ? [] : loadRelabelConfig(config.remoteWriteRelabelConfig),
    destinations: config.remoteWriteUrls.map((url, i) => {
      const headers: Record<string, string> = {};
      const raw = nth(config.remoteWriteHeaders, i);
      if (raw !== '') {
        for (const h of raw.split('^^')) {
          const colon = h.indexOf(':');
          headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
        }
      }
      const user = nth(config.remoteWriteBasicAuthUsername, i);
      const token = nth(config.remoteWriteBearerToken, i);
      if (user !== '') headers['Authorization'] = 'Basic ' + Buffer.from(`${user}:${nth(config.remoteWriteBasicAuthPassword, i)}`).toString('base64');
      else if (token !== '') headers['Authorization'] = `Bearer ${token}`;
      return {
        url,
        headers,
        protocol: config.remoteWriteProtocol,
        retryMinMs: config.remoteWriteRetryMinIntervalMs,
        retryMaxMs: config.remoteWriteRetryMaxIntervalMs,
      };
    }),
  };
}
