/**
 * Every command-line flag of `strata serve`, typed in one place, with defaults, parsing and
 * validation. Names follow VictoriaMetrics where it has one, so its users' scripts carry over.
 */
import { cpus } from 'node:os';

export type WalFsync = 'always' | 'interval' | 'never';
export type LogLevel = 'INFO' | 'WARN' | 'ERROR' | 'FATAL' | 'PANIC';

export interface Config {
  storageDataPath: string;
  httpListenAddr: { host: string; port: number };
  retentionPeriodMs: number;
  dedupMinScrapeIntervalMs: number;
  flushIntervalMs: number;
  walFsync: WalFsync;
  walFsyncIntervalMs: number;
  maxInsertRequestSize: number;
  maxConcurrentInserts: number;
  insertMaxBodyReadDurationMs: number;
  storageMinFreeDiskSpaceBytes: number;
  maxLabelsPerTimeseries: number;
  maxLabelValueLen: number;
  relabelConfig: string;
  searchMaxQueryDurationMs: number;
  searchMaxSamplesPerQuery: number;
  searchMaxSeries: number;
  searchLookbackDeltaMs: number;
  searchBlockCacheSize: number;
  loggerLevel: LogLevel;
  httpAuthUsername: string;
  httpAuthPassword: string;
  tls: boolean;
  tlsCertFile: string;
  tlsKeyFile: string;
  adminAuthKey: string;
}

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
}

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
};

/** `500ms`, `1h30m`, `2.5s`, `0`: Go/VictoriaMetrics-style durations into milliseconds. */
export function parseDurationFlag(raw: string): number {
  const s = raw.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== s.length) throw new Error(`cannot parse duration ${JSON.stringify(raw)}: want e.g. 30s, 5m, 1h30m`);
  return Math.round(total);
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
  spec({ key: 'storageDataPath', flag: 'storageDataPath', arg: 'dir', default: 'strata-data', help: 'Where all data is stored: index/, wal/, data/, snapshots/', parse: str }),
  spec({ key: 'httpListenAddr', flag: 'httpListenAddr', arg: 'addr', default: ':8428', help: 'TCP address to listen on for HTTP requests', parse: parseListenAddr }),
  spec({ key: 'retentionPeriodMs', flag: 'retentionPeriod', arg: 'period', default: '1', help: 'How long data is kept: a bare number is months; or a duration such as 30d, 2w, 1y', parse: parseRetention }),
  spec({ key: 'dedupMinScrapeIntervalMs', flag: 'dedup.minScrapeInterval', arg: 'duration', default: '0', help: 'Keep one sample per this interval per series (deduplicates HA Prometheus pairs); 0 disables', parse: parseDurationFlag }),
  spec({ key: 'flushIntervalMs', flag: 'flushInterval', arg: 'duration', default: '5s', help: 'How often in-memory rows are written to a new part on disk', parse: (r) => Math.max(100, parseDurationFlag(r)) }),
  spec({ key: 'walFsync', flag: 'wal.fsync', arg: 'mode', default: 'interval', help: 'When the WAL is fsynced before acknowledging writes: always | interval (group commit) | never', parse: oneOf(['always', 'interval', 'never'] as const) }),
  spec({ key: 'walFsyncIntervalMs', flag: 'wal.fsyncInterval', arg: 'duration', default: '1s', help: 'Group-commit interval for --wal.fsync=interval', parse: (r) => Math.max(1, parseDurationFlag(r)) }),
  spec({ key: 'maxInsertRequestSize', flag: 'maxInsertRequestSize', arg: 'size', default: '32MB', help: 'Largest accepted request body; larger requests get 413', parse: parseSize }),
  spec({ key: 'maxConcurrentInserts', flag: 'maxConcurrentInserts', arg: 'n', default: String(Math.max(4, cpus().length * 2)), help: 'Insert requests processed at once; more wait in a bounded queue, then get 429', parse: positiveInt }),
  spec({ key: 'insertMaxBodyReadDurationMs', flag: 'insert.maxBodyReadDuration', arg: 'duration', default: '30s', help: 'A request body must arrive in full within this long, or the request gets 408 and its connection is closed (slow or stalled clients hold no insert slot longer); 0 disables', parse: parseDurationFlag }),
  spec({ key: 'storageMinFreeDiskSpaceBytes', flag: 'storage.minFreeDiskSpaceBytes', arg: 'size', default: '10MB', help: 'Below this much free space on the data directory\'s file system, writes are refused with 503 (read-only) until space returns; 0 disables', parse: parseSize }),
  spec({ key: 'maxLabelsPerTimeseries', flag: 'maxLabelsPerTimeseries', arg: 'n', default: '40', help: 'Series with more labels are dropped and counted', parse: positiveInt }),
  spec({ key: 'maxLabelValueLen', flag: 'maxLabelValueLen', arg: 'n', default: '4096', help: 'Series with a longer label value are dropped and counted', parse: positiveInt }),
  spec({ key: 'relabelConfig', flag: 'relabelConfig', arg: 'file', default: '', help: 'Prometheus relabel_configs YAML applied on ingest; reloaded on SIGHUP', parse: str }),
  spec({ key: 'searchMaxQueryDurationMs', flag: 'search.maxQueryDuration', arg: 'duration', default: '30s', help: 'Queries running longer are cancelled with 503', parse: parseDurationFlag }),
  spec({ key: 'searchMaxSamplesPerQuery', flag: 'search.maxSamplesPerQuery', arg: 'n', default: '50000000', help: 'Queries loading more samples fail with 422 instead of exhausting memory', parse: positiveInt }),
  spec({ key: 'searchMaxSeries', flag: 'search.maxSeries', arg: 'n', default: '300000', help: 'Queries selecting more series fail with 422', parse: positiveInt }),
  spec({ key: 'searchLookbackDeltaMs', flag: 'search.lookbackDelta', arg: 'duration', default: '5m', help: 'How far back an instant selector looks for the latest sample', parse: parseDurationFlag }),
  spec({ key: 'searchBlockCacheSize', flag: 'search.blockCacheSize', arg: 'size', default: '32MiB', help: 'Memory for recently read, decoded part blocks (speeds up repeated dashboard queries); 0 disables', parse: parseSize }),
  spec({ key: 'loggerLevel', flag: 'loggerLevel', arg: 'level', default: 'INFO', help: 'Minimum level of log lines: INFO | WARN | ERROR | FATAL | PANIC', parse: oneOf(['INFO', 'WARN', 'ERROR', 'FATAL', 'PANIC'] as const) }),
  spec({ key: 'httpAuthUsername', flag: 'httpAuth.username', arg: 'user', default: '', help: 'Basic auth user required on every path except /health', parse: str }),
  spec({ key: 'httpAuthPassword', flag: 'httpAuth.password', arg: 'password', default: '', help: 'Basic auth password (with --httpAuth.username)', parse: str, secret: true }),
  spec({ key: 'tls', flag: 'tls', arg: 'bool', default: 'false', help: 'Serve HTTPS using --tlsCertFile and --tlsKeyFile', parse: bool }),
  spec({ key: 'tlsCertFile', flag: 'tlsCertFile', arg: 'file', default: '', help: 'PEM certificate for --tls', parse: str }),
  spec({ key: 'tlsKeyFile', flag: 'tlsKeyFile', arg: 'file', default: '', help: 'PEM private key for --tls', parse: str }),
  spec({ key: 'adminAuthKey', flag: 'adminAuthKey', arg: 'key', default: '', help: 'Key (authKey query arg) guarding /internal/*, delete and snapshot endpoints', parse: str, secret: true }),
] as const;

export type FlagTable = typeof FLAGS;

/**
 * Builds a Config from flag values given as strings (missing ones take their default), then checks
 * the rules that span several flags. Throws FlagError naming the flag.
 */
export function buildConfig(values: Readonly<Record<string, string | boolean | undefined>>): Config {
  const cfg: Partial<Record<keyof Config, unknown>> = {};
  for (const f of FLAGS) {
    const given = values[f.flag];
    const raw = given === undefined ? f.default : given === true ? 'true' : given === false ? 'false' : given;
    try {
      cfg[f.key] = f.parse(raw);
    } catch (e) {
      throw new FlagError(`invalid value ${JSON.stringify(raw)} for flag --${f.flag}: ${(e as Error).message}`);
    }
  }
  const config = cfg as Config;
  if (config.tls && (!config.tlsCertFile || !config.tlsKeyFile)) {
    throw new FlagError('flag --tls needs both --tlsCertFile and --tlsKeyFile');
  }
  if ((config.httpAuthUsername === '') !== (config.httpAuthPassword === '')) {
    throw new FlagError('flags --httpAuth.username and --httpAuth.password must be set together');
  }
  return config;
}

/** The flags and their effective values as /api/v1/status/flags reports them (secrets masked). */
export function flagValues(values: Readonly<Record<string, string | boolean | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of FLAGS) {
    const given = values[f.flag];
    const raw = given === undefined ? f.default : String(given);
    out[f.flag] = 'secret' in f && f.secret && raw !== '' ? 'secret' : raw;
  }
  return out;
}
