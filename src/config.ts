/**
 * Every command-line flag of `strata serve`, typed in one place, with defaults, parsing and
 * validation. Names follow VictoriaMetrics where it has one, so its users' scripts carry over.
 */
import { cpus, totalmem } from 'node:os';
import { DURATION_UNITS, parseDurationFlag } from './duration-flag.js';
import type { LogLevel } from './logger.js';
import { parseDownsamplingRule, parseRetentionFilter, type DownsamplingRule, type RetentionFilter } from './lifecycle/index.js';
import type { DownsampleMode } from './storage/index.js';
import { TRANSLATION_STRATEGIES, type TranslationStrategy } from './ingest/index.js';

export { parseDurationFlag };

export type WalFsync = 'always' | 'interval' | 'never';
export type { LogLevel } from './logger.js';

export interface Config {
  storageDataPath: string;
  httpListenAddr: { host: string; port: number };
  retentionPeriodMs: number;
  dedupMinScrapeIntervalMs: number;
  futureTimestampLimitMs: number;
  flushIntervalMs: number;
  walFsync: WalFsync;
  walFsyncIntervalMs: number;
  maxInsertRequestSize: number;
  maxConcurrentInserts: number;
  insertMaxBodyReadDurationMs: number;
  storageMinFreeDiskSpaceBytes: number;
  indexVerifyOnStart: boolean;
  maxLabelsPerTimeseries: number;
  maxLabelValueLen: number;
  maxExemplars: number;
  relabelConfig: string;
  searchMaxQueryDurationMs: number;
  searchMaxSamplesPerQuery: number;
  searchMaxSeries: number;
  searchLookbackDeltaMs: number;
  searchBlockCacheSize: number;
  searchDisableCache: boolean;
  searchMaxMemoryPerQuery: number;
  searchMaxConcurrentRequests: number;
  searchMaxQueueDurationMs: number;
  searchRollupResultCacheSize: number;
  searchCacheTimestampOffsetMs: number;
  loggerLevel: LogLevel;
  httpAuthUsername: string;
  httpAuthPassword: string;
  tls: boolean;
  tlsCertFile: string;
  tlsKeyFile: string;
  adminAuthKey: string;
  retentionFilters: RetentionFilter[];
  downsampling: DownsamplingRule[];
  downsamplingKeep: DownsampleMode;
  maxHourlySeries: number;
  maxDailySeries: number;
  remoteWriteUrls: string[];
  remoteWriteHeaders: string[];
  remoteWriteBasicAuthUsername: string[];
  remoteWriteBasicAuthPassword: string[];
  remoteWriteBearerToken: string[];
  remoteWriteMaxDiskUsagePerUrl: number;
  remoteWriteRetryMinIntervalMs: number;
  remoteWriteRetryMaxIntervalMs: number;
  remoteWriteQueues: number;
  remoteWriteRelabelConfig: string;
  remoteWriteProtocol: 1 | 2;
  snapshotAuthKey: string;
  snapshotsMaxAgeMs: number;
  otlpTranslationStrategy: TranslationStrategy;
  otlpPromoteResourceAttributes: string[];
  otlpPromoteScopeMetadata: boolean;
}

/** A flag as commander hands it over: repeatable flags come as a list of occurrences. */
export type FlagValue = string | boolean | readonly string[] | undefined;

/** A flag's value could not be understood; the message names the flag and says why. */
export class FlagError extends Error {}

type Parser<T> = (raw: string) => T;

interface FlagSpec<K extends keyof Config> {
  key: K;
  flag: string;
  arg: string;
  help: string;
  default: string;
  parse: Parser<Config[K]>;
  /** Flags whose value must not be echoed by /api/v1/status/flags. */
  secret?: boolean;
  /** May be given several times: `parse` gets the occurrences joined by NUL (see eachOf). */
  repeatable?: boolean;
}

/** Occurrences of a repeatable flag arrive joined by NUL (no shell argument holds one). */
const SEP = '\u0000';

function eachOf<T>(parse: Parser<T>): Parser<T[]> {
  return (raw) => (raw === '' ? [] : raw.split(SEP).map(parse));
}

function httpUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`not a URL: ${JSON.stringify(raw)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`want an http:// or https:// URL, got ${JSON.stringify(raw)}`);
  return raw;
}

/** `Name:value^^Name2:value2` as vmagent writes it. */
function headerList(raw: string): string {
  for (const h of raw.split('^^')) {
    const colon = h.indexOf(':');
    if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(h.slice(0, colon).trim()))
      throw new Error(`want Name:value pairs separated by ^^, got ${JSON.stringify(h)}`);
  }
  return raw;
}

function nonNegativeInt(raw: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`want a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** Retention as VictoriaMetrics reads it: a bare number is months; otherwise a duration (30d, 1y, 2w). */
export function parseRetention(raw: string): number {
  const s = raw.trim();
  if (/^\d+(\.\d+)?$/.test(s)) {
    const months = Number(s);
    if (months <= 0) throw new Error('retention must be positive');
    return Math.round(months * 31 * DURATION_UNITS.d!);
  }
  const ms = parseDurationFlag(s);
  if (ms < DURATION_UNITS.h!) throw new Error(`retention ${JSON.stringify(raw)} is shorter than the 1h minimum`);
  return ms;
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  KIB: 1024,
  MIB: 1024 ** 2,
  GIB: 1024 ** 3,
};

/** `32MB`, `64MiB`, `1048576`: sizes in bytes, KB = 1000 and KiB = 1024 as VictoriaMetrics reads them. */
export function parseSize(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(raw.trim());
  const unit = m ? SIZE_UNITS[m[2]!.toUpperCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`cannot parse size ${JSON.stringify(raw)}: want e.g. 32MB, 64MiB or a byte count`);
  return Math.round(Number(m[1]) * unit);
}

export function parseListenAddr(raw: string): { host: string; port: number } {
  const m = /^(\[[^\]]*\]|[^:]*):(\d{1,5})$/.exec(raw.trim());
  if (!m) throw new Error(`cannot parse listen address ${JSON.stringify(raw)}: want host:port or :port`);
  const port = Number(m[2]);
  if (port > 65535) throw new Error(`port ${port} is out of range`);
  let host = m[1]!;
  if (host.startsWith('[')) host = host.slice(1, -1);
  return { host: host === '' ? '0.0.0.0' : host, port };
}

function positiveInt(raw: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`want a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

function oneOf<T extends string>(values: readonly T[]): Parser<T> {
  return (raw) => {
    const v = values.find((x) => x.toLowerCase() === raw.toLowerCase());
    if (v === undefined) throw new Error(`want one of ${values.join(', ')}, got ${JSON.stringify(raw)}`);
    return v;
  };
}

const bool: Parser<boolean> = (raw) => {
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new Error(`want true or false, got ${JSON.stringify(raw)}`);
};

const str: Parser<string> = (raw) => raw;

function spec<K extends keyof Config>(s: FlagSpec<K>): FlagSpec<K> {
  return s;
}

/** The flag table: the single source for parsing, `--help` and /api/v1/status/flags. */
export const FLAGS = [
  spec({
    key: 'storageDataPath',
    flag: 'storageDataPath',
    arg: 'dir',
    default: 'strata-data',
    help: 'Where all data is stored: index/, wal/, data/, snapshots/',
    parse: str,
  }),
  spec({
    key: 'httpListenAddr',
    flag: 'httpListenAddr',
    arg: 'addr',
    default: ':8428',
    help: 'TCP address to listen on for HTTP requests',
    parse: parseListenAddr,
  }),
  spec({
    key: 'retentionPeriodMs',
    flag: 'retentionPeriod',
    arg: 'period',
    default: '1',
    help: 'How long data is kept: a bare number is months; or a duration such as 30d, 2w, 1y',
    parse: parseRetention,
  }),
  spec({
    key: 'dedupMinScrapeIntervalMs',
    flag: 'dedup.minScrapeInterval',
    arg: 'duration',
    default: '0',
    help: 'Keep one sample per this interval per series (deduplicates HA Prometheus pairs); 0 disables',
    parse: parseDurationFlag,
  }),
  spec({
    key: 'futureTimestampLimitMs',
    flag: 'futureTimestampLimit',
    arg: 'duration',
    default: '2d',
    help: 'Samples with timestamps further ahead of now are refused (400, counted as out_of_bounds)',
    parse: parseDurationFlag,
  }),
  spec({
    key: 'flushIntervalMs',
    flag: 'flushInterval',
    arg: 'duration',
    default: '5s',
    help: 'How often in-memory rows are written to a new part on disk',
    parse: (r) => Math.max(100, parseDurationFlag(r)),
  }),
  spec({
    key: 'walFsync',
    flag: 'wal.fsync',
    arg: 'mode',
    default: 'interval',
    help: 'When the WAL is fsynced before acknowledging writes: always | interval (group commit) | never',
    parse: oneOf(['always', 'interval', 'never'] as const),
  }),
  spec({
    key: 'walFsyncIntervalMs',
    flag: 'wal.fsyncInterval',
    arg: 'duration',
    default: '1s',
    help: 'Group-commit interval for --wal.fsync=interval',
    parse: (r) => Math.max(1, parseDurationFlag(r)),
  }),
  spec({
    key: 'maxInsertRequestSize',
    flag: 'maxInsertRequestSize',
    arg: 'size',
    default: '32MB',
    help: 'Largest accepted request body; larger requests get 413',
    parse: parseSize,
  }),
  spec({
    key: 'maxConcurrentInserts',
    flag: 'maxConcurrentInserts',
    arg: 'n',
    default: String(Math.max(4, cpus().length * 2)),
    help: 'Insert requests processed at once; more wait in a bounded queue, then get 429',
    parse: positiveInt,
  }),
  spec({
    key: 'insertMaxBodyReadDurationMs',
    flag: 'insert.maxBodyReadDuration',
    arg: 'duration',
    default: '30s',
    help: 'A request body must arrive in full within this long, or the request gets 408 and its connection is closed (slow or stalled clients hold no insert slot longer); 0 disables',
    parse: parseDurationFlag,
  }),
  spec({
    key: 'storageMinFreeDiskSpaceBytes',
    flag: 'storage.minFreeDiskSpaceBytes',
    arg: 'size',
    default: '10MB',
    help: "Below this much free space on the data directory's file system, writes are refused with 503 (read-only) until space returns; 0 disables",
    parse: parseSize,
  }),
  spec({
    key: 'indexVerifyOnStart',
    flag: 'index.verifyOnStart',
    arg: 'bool',
    default: 'false',
    help: 'At start-up, also read every label index entry (checksums) and cross-check the index (the page-structure check runs always); damage found makes /health not ready until `strata index rebuild`',
    parse: bool,
  }),
  spec({
    key: 'maxLabelsPerTimeseries',
    flag: 'maxLabelsPerTimeseries',
    arg: 'n',
    default: '40',
    help: 'Series with more labels are dropped and counted',
    parse: positiveInt,
  }),
  spec({
    key: 'maxLabelValueLen',
    flag: 'maxLabelValueLen',
    arg: 'n',
    default: '4096',
    help: 'Series with a longer label value are dropped and counted',
    parse: positiveInt,
  }),
  spec({
    key: 'maxExemplars',
    flag: 'maxExemplars',
    arg: 'n',
    default: '100000',
    help: 'Exemplars kept per tenant (a ring: the oldest make way, as in Prometheus); 0 stores none',
    parse: nonNegativeInt,
  }),
  spec({
    key: 'relabelConfig',
    flag: 'relabelConfig',
    arg: 'file',
    default: '',
    help: 'Prometheus relabel_configs YAML applied on ingest; reloaded on SIGHUP',
    parse: str,
  }),
  spec({
    key: 'searchMaxQueryDurationMs',
    flag: 'search.maxQueryDuration',
    arg: 'duration',
    default: '30s',
    help: 'Queries running longer are cancelled with 503',
    parse: parseDurationFlag,
  }),
  spec({
    key: 'searchMaxSamplesPerQuery',
    flag: 'search.maxSamplesPerQuery',
    arg: 'n',
    default: '50000000',
    help: 'Queries loading more samples fail with 422 instead of exhausting memory',
    parse: positiveInt,
  }),
  spec({
    key: 'searchMaxSeries',
    flag: 'search.maxSeries',
    arg: 'n',
    default: '300000',
    help: 'Queries selecting more series fail with 422',
    parse: positiveInt,
  }),
  spec({
    key: 'searchLookbackDeltaMs',
    flag: 'search.lookbackDelta',
    arg: 'duration',
    default: '5m',
    help: 'How far back an instant selector looks for the latest sample',
    parse: parseDurationFlag,
  }),
  // A node_exporter series' 2 h block takes ~3.5 KB in the cache, its overhead counted: 256 MiB held
  // 75k of the scale bench's 100k series, so count({job="node"}) by (instance) re-read, checked and
  // inflated every block on each run (3.4 s instead of 0.2 s); 512 MiB holds ~150k.
  spec({
    key: 'searchBlockCacheSize',
    flag: 'search.blockCacheSize',
    arg: 'size',
    default: `${Math.max(32, Math.min(512, Math.floor(totalmem() / 2 ** 20 / 16)))}MiB`,
    help: 'Memory for recently read, decoded part blocks (speeds up repeated dashboard queries); default 1/16 of RAM within 32–512 MiB; 0 disables',
    parse: parseSize,
  }),
  spec({
    key: 'searchMaxMemoryPerQuery',
    flag: 'search.maxMemoryPerQuery',
    arg: 'size',
    default: '512MiB',
    help: 'Memory one query may hold while reading and evaluating (samples, series, step grids); a query needing more fails with 422 naming this flag; 0 disables',
    parse: parseSize,
  }),
  spec({
    key: 'searchMaxConcurrentRequests',
    flag: 'search.maxConcurrentRequests',
    arg: 'n',
    default: String(Math.max(2, cpus().length)),
    help: 'Queries evaluated at once; more wait in arrival order (their time limit starts when they run)',
    parse: positiveInt,
  }),
  spec({
    key: 'searchMaxQueueDurationMs',
    flag: 'search.maxQueueDuration',
    arg: 'duration',
    default: '30s',
    help: 'Longest a query waits for one of --search.maxConcurrentRequests slots before 503',
    parse: parseDurationFlag,
  }),
  spec({
    key: 'searchDisableCache',
    flag: 'search.disableCache',
    arg: 'bool',
    default: 'false',
    help: 'Turn the rollup result cache off: every range query is computed in full (per query: nocache=1)',
    parse: bool,
  }),
  spec({
    key: 'searchRollupResultCacheSize',
    flag: 'search.rollupResultCacheSize',
    arg: 'size',
    default: '64MiB',
    help: 'Memory for range-query results per query, step and series, so a dashboard refresh computes only the fresh tail; 0 disables',
    parse: parseSize,
  }),
  spec({
    key: 'searchCacheTimestampOffsetMs',
    flag: 'search.cacheTimestampOffset',
    arg: 'duration',
    default: '5m',
    help: 'Steps newer than now minus this are not kept in the rollup result cache (their data may still arrive)',
    parse: parseDurationFlag,
  }),
  spec({
    key: 'loggerLevel',
    flag: 'loggerLevel',
    arg: 'level',
    default: 'INFO',
    help: 'Minimum level of log lines: INFO | WARN | ERROR | FATAL | PANIC',
    parse: oneOf(['INFO', 'WARN', 'ERROR', 'FATAL', 'PANIC'] as const),
  }),
  spec({
    key: 'httpAuthUsername',
    flag: 'httpAuth.username',
    arg: 'user',
    default: '',
    help: 'Basic auth user required on every path except /health',
    parse: str,
  }),
  spec({
    key: 'httpAuthPassword',
    flag: 'httpAuth.password',
    arg: 'password',
    default: '',
    help: 'Basic auth password (with --httpAuth.username)',
    parse: str,
    secret: true,
  }),
  spec({ key: 'tls', flag: 'tls', arg: 'bool', default: 'false', help: 'Serve HTTPS using --tlsCertFile and --tlsKeyFile', parse: bool }),
  spec({ key: 'tlsCertFile', flag: 'tlsCertFile', arg: 'file', default: '', help: 'PEM certificate for --tls', parse: str }),
  spec({ key: 'tlsKeyFile', flag: 'tlsKeyFile', arg: 'file', default: '', help: 'PEM private key for --tls', parse: str }),
  spec({
    key: 'retentionFilters',
    flag: 'retentionFilter',
    arg: 'filter',
    default: '',
    repeatable: true,
    help: 'Per-series retention as {SELECTOR}:DURATION, e.g. \'{env="dev"}:7d\'; repeatable, the first match wins, at most --retentionPeriod',
    parse: eachOf((r) => parseRetentionFilter(r, Infinity)),
  }),
  spec({
    key: 'downsampling',
    flag: 'downsampling.period',
    arg: 'rule',
    default: '',
    repeatable: true,
    help: 'Keep one sample per INTERVAL of data older than OFFSET: OFFSET:INTERVAL[,...] (e.g. 30d:5m,180d:1h), optionally for matching series only ({SELECTOR}:30d:1m); :0s drops; repeatable',
    parse: eachOf(parseDownsamplingRule),
  }),
  spec({
    key: 'downsamplingKeep',
    flag: 'downsampling.keep',
    arg: 'mode',
    default: 'last',
    help: 'What downsampling keeps per interval: last (as VictoriaMetrics) | extremes (the minimum, maximum and last sample: max_over_time, min_over_time and counters stay exact)',
    parse: oneOf(['last', 'extremes'] as const),
  }),
  spec({
    key: 'maxHourlySeries',
    flag: 'storage.maxHourlySeries',
    arg: 'n',
    default: '0',
    help: 'Most unique series written per hour; samples of further new series are dropped (400, counted); 0 = no limit',
    parse: nonNegativeInt,
  }),
  spec({
    key: 'maxDailySeries',
    flag: 'storage.maxDailySeries',
    arg: 'n',
    default: '0',
    help: 'Most unique series written per day; samples of further new series are dropped (400, counted); 0 = no limit',
    parse: nonNegativeInt,
  }),
  spec({
    key: 'remoteWriteUrls',
    flag: 'remoteWrite.url',
    arg: 'url',
    default: '',
    repeatable: true,
    help: 'Forward every acknowledged sample from the WAL to this remote-write URL (vminsert, Mimir, Thanos Receive, Prometheus); repeatable; at least once',
    parse: eachOf(httpUrl),
  }),
  spec({
    key: 'remoteWriteHeaders',
    flag: 'remoteWrite.headers',
    arg: 'headers',
    default: '',
    repeatable: true,
    help: "HTTP headers for the corresponding --remoteWrite.url, 'Name:value^^Name2:value2' (one value applies to every URL)",
    parse: eachOf(headerList),
  }),
  spec({
    key: 'remoteWriteBasicAuthUsername',
    flag: 'remoteWrite.basicAuth.username',
    arg: 'user',
    default: '',
    repeatable: true,
    help: 'Basic auth user for the corresponding --remoteWrite.url',
    parse: eachOf(str),
  }),
  spec({
    key: 'remoteWriteBasicAuthPassword',
    flag: 'remoteWrite.basicAuth.password',
    arg: 'password',
    default: '',
    repeatable: true,
    secret: true,
    help: 'Basic auth password for the corresponding --remoteWrite.url',
    parse: eachOf(str),
  }),
  spec({
    key: 'remoteWriteBearerToken',
    flag: 'remoteWrite.bearerToken',
    arg: 'token',
    default: '',
    repeatable: true,
    secret: true,
    help: 'Bearer token for the corresponding --remoteWrite.url',
    parse: eachOf(str),
  }),
  spec({
    key: 'remoteWriteMaxDiskUsagePerUrl',
    flag: 'remoteWrite.maxDiskUsagePerURL',
    arg: 'size',
    default: '0',
    help: 'WAL bytes kept for a lagging destination; past it the oldest are dropped and counted; 0 = no limit',
    parse: parseSize,
  }),
  spec({
    key: 'remoteWriteRetryMinIntervalMs',
    flag: 'remoteWrite.retryMinInterval',
    arg: 'duration',
    default: '1s',
    help: 'First retry delay after a failed send (doubles up to --remoteWrite.retryMaxInterval)',
    parse: (r) => Math.max(1, parseDurationFlag(r)),
  }),
  spec({
    key: 'remoteWriteRetryMaxIntervalMs',
    flag: 'remoteWrite.retryMaxInterval',
    arg: 'duration',
    default: '1m',
    help: 'Longest retry delay',
    parse: (r) => Math.max(1, parseDurationFlag(r)),
  }),
  spec({
    key: 'remoteWriteQueues',
    flag: 'remoteWrite.queues',
    arg: 'n',
    default: '2',
    help: 'Requests in flight per destination (series are split among them, each keeping its order)',
    parse: positiveInt,
  }),
  spec({
    key: 'remoteWriteRelabelConfig',
    flag: 'remoteWrite.relabelConfig',
    arg: 'file',
    default: '',
    help: 'relabel_configs applied to forwarded series (not to stored ones)',
    parse: str,
  }),
  spec({
    key: 'remoteWriteProtocol',
    flag: 'remoteWrite.protocol',
    arg: '1|2',
    default: '1',
    help: 'Remote write protocol version to forward with',
    parse: (r) => (oneOf(['1', '2'] as const)(r) === '2' ? 2 : 1),
  }),
  spec({
    key: 'adminAuthKey',
    flag: 'adminAuthKey',
    arg: 'key',
    default: '',
    help: 'Key (authKey query arg) guarding /internal/*, delete and snapshot endpoints',
    parse: str,
    secret: true,
  }),
  spec({
    key: 'snapshotAuthKey',
    flag: 'snapshotAuthKey',
    arg: 'key',
    default: '',
    help: "VictoriaMetrics's name for --adminAuthKey (the two must not differ)",
    parse: str,
    secret: true,
  }),
  spec({
    key: 'otlpTranslationStrategy',
    flag: 'otlp.translationStrategy',
    arg: 'strategy',
    default: 'UnderscoreEscapingWithSuffixes',
    help: "How OTLP metric and attribute names become Prometheus names (as Prometheus's otlp.translation_strategy): UnderscoreEscapingWithSuffixes (Prometheus 3's default: invalid characters to _, unit and _total/_ratio suffixes) | UnderscoreEscapingWithoutSuffixes | NoUTF8EscapingWithSuffixes (UTF-8 names kept, suffixes added) | NoTranslation (names kept as sent, as VictoriaMetrics does by default)",
    parse: oneOf(TRANSLATION_STRATEGIES),
  }),
  spec({
    key: 'otlpPromoteResourceAttributes',
    flag: 'otlp.promoteResourceAttributes',
    arg: 'list',
    default: '',
    help: 'Comma-separated OTLP resource attributes copied as labels onto every series of their resource (all of them stay in target_info)',
    parse: (r) =>
      r
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== ''),
  }),
  spec({
    key: 'otlpPromoteScopeMetadata',
    flag: 'otlp.promoteScopeMetadata',
    arg: 'bool',
    default: 'false',
    help: 'Add otel_scope_name, otel_scope_version, otel_scope_schema_url and otel_scope_<attribute> labels to OTLP series (off by default, as in Prometheus 3)',
    parse: bool,
  }),
  spec({
    key: 'snapshotsMaxAgeMs',
    flag: 'snapshotsMaxAge',
    arg: 'duration',
    default: '0',
    help: 'Snapshots older than this are deleted (checked every minute and at start); 0 keeps them',
    parse: parseDurationFlag,
  }),
] as const;

export type FlagTable = typeof FLAGS;

/**
 * Builds a Config from flag values given as strings (missing ones take their default), then checks
 * the rules that span several flags. Throws FlagError naming the flag.
 */
export function buildConfig(values: Readonly<Record<string, FlagValue>>): Config {
  const cfg: Partial<Record<keyof Config, unknown>> = {};
  for (const f of FLAGS) {
    const given = values[f.flag];
    const raw = given === undefined ? f.default : given === true ? 'true' : given === false ? 'false' : typeof given === 'string' ? given : given.join(SEP);
    try {
      cfg[f.key] = f.parse(raw);
    } catch (e) {
      // A repeatable flag names the occurrence that failed.
      const shown =
        raw.split(SEP).find((one) => {
          try {
            f.parse(one);
            return false;
          } catch {
            return true;
          }
        }) ?? raw;
      throw new FlagError(`invalid value ${JSON.stringify(shown)} for flag --${f.flag}: ${(e as Error).message}`);
    }
  }
  const config = cfg as Config;
  for (const f of config.retentionFilters) {
    if (f.retentionMs > config.retentionPeriodMs) {
      throw new FlagError(`invalid value for flag --retentionFilter: retention of ${f.selector} exceeds --retentionPeriod; a filter can only shorten it`);
    }
  }
  for (const [flag, list] of [
    ['remoteWrite.headers', config.remoteWriteHeaders],
    ['remoteWrite.basicAuth.username', config.remoteWriteBasicAuthUsername],
    ['remoteWrite.basicAuth.password', config.remoteWriteBasicAuthPassword],
    ['remoteWrite.bearerToken', config.remoteWriteBearerToken],
  ] as const) {
    if (list.length > 1 && list.length !== config.remoteWriteUrls.length) {
      throw new FlagError(
        `flag --${flag} is given ${list.length} times for ${config.remoteWriteUrls.length} --remoteWrite.url: give it once (for every URL) or once per URL`,
      );
    }
  }
  if (config.downsampling.filter((r) => r.selector === null).length > 1) {
    throw new FlagError('flag --downsampling.period is given more than once without a series selector');
  }
  if (config.tls && (!config.tlsCertFile || !config.tlsKeyFile)) {
    throw new FlagError('flag --tls needs both --tlsCertFile and --tlsKeyFile');
  }
  if ((config.httpAuthUsername === '') !== (config.httpAuthPassword === '')) {
    throw new FlagError('flags --httpAuth.username and --httpAuth.password must be set together');
  }
  if (config.snapshotAuthKey !== '') {
    if (config.adminAuthKey !== '' && config.adminAuthKey !== config.snapshotAuthKey) {
      throw new FlagError('flags --adminAuthKey and --snapshotAuthKey name one key: give one of them, or the same value');
    }
    config.adminAuthKey = config.snapshotAuthKey;
  }
  return config;
}

/** The flags and their effective values as /api/v1/status/flags reports them (secrets masked). */
export function flagValues(values: Readonly<Record<string, FlagValue>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of FLAGS) {
    const given = values[f.flag];
    const raw = given === undefined ? f.default : typeof given === 'string' || typeof given === 'boolean' ? String(given) : given.join(' ');
    out[f.flag] = 'secret' in f && f.secret && raw !== '' ? 'secret' : raw;
  }
  return out;
}
