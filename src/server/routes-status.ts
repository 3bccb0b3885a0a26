/** Health, readiness, self-metrics, build info and flags: the routes every deployment probes. */
import type { MetricsRegistry } from '../metrics.js';
import { buildInfo } from '../version.js';
import { apiSuccess, text } from './request.js';
import type { Router } from './router.js';

export interface StatusDeps {
  readonly metrics: MetricsRegistry;
  readonly flags: Readonly<Record<string, string>>;
  /** False while starting (WAL replay) or shutting down. */
  readonly isReady: () => boolean;
  /** Why the server is not ready although running (writes refused: read-only), or null. */
  readonly notReadyReason?: () => string | null;
  /** Why /health must say 503 although the process runs (a damaged label index), or null. */
  readonly unhealthyReason?: () => string | null;
}

export function registerStatusRoutes(router: Router, deps: StatusDeps): void {
  router.add(
    'GET',
    '/health',
    () => {
      const why = deps.unhealthyReason?.() ?? null;
      return why === null ? text('OK') : text(`Service Unavailable: ${why}\n`, 503);
    },
    { auth: 'none' },
  );
  router.add('GET', '/-/healthy', () => text('Strata is Healthy.\n'));
  router.add('GET', '/-/ready', () => {
    if (!deps.isReady()) return text('Service Unavailable\n', 503);
    const why = deps.notReadyReason?.() ?? null;
    return why === null ? text('Strata is Ready.\n') : text(`Service Unavailable: ${why}\n`, 503);
  });
  router.add('GET', '/metrics', () => text(deps.metrics.render(), 200, 'text/plain; version=0.0.4; charset=utf-8'));
  router.add(['GET', 'POST'], '/api/v1/status/buildinfo', () => apiSuccess(buildInfo));
  router.add(['GET', 'POST'], '/api/v1/status/flags', () => apiSuccess(deps.flags));
}
