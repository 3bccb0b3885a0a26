/**
 * The running process: locks the data directory, opens the database, serves HTTP, and shuts down
 * in order (stop accepting → finish in-flight requests → flush → close the index → unlock).
 */
import { mkdirSync } from 'node:fs';
import type { Config } from '../config.js';
import { log, setLogLevel } from '../logger.js';
import { MetricsRegistry } from '../metrics.js';
import { HttpServer, Router, registerStatusRoutes } from '../server/index.js';
import { lockDataDir } from './data-dir-lock.js';

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
  try {
    mkdirSync(config.storageDataPath, { recursive: true });
    const metrics = new MetricsRegistry();
    const router = new Router();
    registerStatusRoutes(router, { metrics, flags, isReady: () => ready });

    const server = new HttpServer(router, {
      auth: { username: config.httpAuthUsername, password: config.httpAuthPassword, adminAuthKey: config.adminAuthKey },
      maxBodySize: config.maxInsertRequestSize,
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
          server.stopAccepting();
          await server.drain(5000);
          lock.release();
          log.info('stopped');
        })();
        return stopping;
      },
    };
  } catch (e) {
    lock.release();
    throw e;
  }
}
