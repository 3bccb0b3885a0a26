export { Unsupported, type Target, type TargetId, type PersistResult } from './target.js';
export { StrataTarget, repoRoot } from './strata.js';
export { VictoriaMetricsTarget } from './victoriametrics.js';
export { PrometheusTarget } from './prometheus.js';
export { readProcStats, dirBytes, freePort, stopServer, spawnServer, type ProcStats } from './process.js';
export { httpRequest, keepAliveAgent, waitHttpOk, HttpTimeoutError, type HttpResponse } from './http.js';
export { ensureBinary } from './install.js';
