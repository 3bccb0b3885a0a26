/**
 * Maps (method, path) to a route. Paths are normalised first so that one route serves the
 * Prometheus path, the VictoriaMetrics `/prometheus/...` alias and the tenant paths
 * `/insert/<tenant>/prometheus/...` and `/select/<tenant>/prometheus/...`.
 */
import { DEFAULT_TENANT, parseTenant, type Tenant } from '../model/index.js';
import { HttpError } from './errors.js';
import type { Handler } from './request.js';

export type AuthLevel = 'none' | 'basic' | 'admin';

export interface RouteOptions {
  /** `none` only for /health; `admin` adds the --adminAuthKey check on top of basic auth. */
  auth?: AuthLevel;
  /** Body size limit in bytes; defaults to the server's --maxInsertRequestSize. */
  bodyLimit?: number;
  /** Milliseconds before the server answers 503 and aborts the handler's signal. */
  deadlineMs?: number;
  /** `text` for endpoints whose clients read plain-text errors (remote write, import). */
  errorFormat?: 'json' | 'text';
}

export interface Route extends Required<Omit<RouteOptions, 'bodyLimit' | 'deadlineMs'>> {
  readonly methods: ReadonlySet<string>;
  readonly pattern: string;
  readonly handler: Handler;
  readonly bodyLimit: number | undefined;
  readonly deadlineMs: number | undefined;
  readonly segments: readonly string[] | null;
}

export interface RouteMatch {
  readonly route: Route;
  readonly params: Record<string, string>;
  readonly path: string;
  readonly tenant: Tenant;
}

export class Router {
  private readonly exact = new Map<string, Route[]>();
  private readonly patterns: Route[] = [];

  add(methods: string | readonly string[], pattern: string, handler: Handler, opts: RouteOptions = {}): void {
    const list = typeof methods === 'string' ? [methods] : methods;
    const route: Route = {
      methods: new Set(list.map((m) => m.toUpperCase())),
      pattern,
      handler,
      auth: opts.auth ?? 'basic',
      bodyLimit: opts.bodyLimit,
      deadlineMs: opts.deadlineMs,
      errorFormat: opts.errorFormat ?? 'json',
      segments: pattern.includes(':') ? pattern.split('/') : null,
    };
    if (route.segments) this.patterns.push(route);
    else {
      const routes = this.exact.get(pattern) ?? [];
      routes.push(route);
      this.exact.set(pattern, routes);
    }
  }

  /** The route for a request; HttpError 404/405 when there is none, 400 for a bad tenant. */
  match(method: string, rawPath: string, orgIdHeader: string | undefined): RouteMatch {
    const { path, tenant } = normalise(rawPath, orgIdHeader);
    const candidates = this.exact.get(path) ?? [];
    let params: Record<string, string> = {};
    if (candidates.length === 0) {
      for (const r of this.patterns) {
        const p = matchSegments(r.segments!, path);
        if (p) {
          candidates.push(r);
          params = p;
        }
      }
    }
    if (candidates.length === 0) throw new HttpError(404, `unsupported path requested: ${JSON.stringify(rawPath)}`);
    const route = candidates.find((r) => r.methods.has(method) || (method === 'HEAD' && r.methods.has('GET')));
    if (!route) throw new HttpError(405, `method ${method} is not allowed for ${rawPath}; use ${[...candidates[0]!.methods].join(' or ')}`);
    return { route, params, path, tenant };
  }
}

function matchSegments(segments: readonly string[], path: string): Record<string, string> | null {
  const parts = path.split('/');
  if (parts.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s.startsWith(':')) {
      try {
        params[s.slice(1)] = decodeURIComponent(parts[i]!);
      } catch {
        return null;
      }
    } else if (s !== parts[i]) return null;
  }
  return params;
}

const TENANT_PREFIX = /^\/(insert|select|delete)\/([^/]+)\/prometheus(\/.*)?$/;

/** VictoriaMetrics cluster's OpenTelemetry path has no `/prometheus` segment: `/insert/<tenant>/opentelemetry/...`. */
const TENANT_OTLP_PREFIX = /^\/(insert)\/([^/]+)(\/opentelemetry\/.*)$/;

function normalise(rawPath: string, orgIdHeader: string | undefined): { path: string; tenant: Tenant } {
  const m = TENANT_PREFIX.exec(rawPath) ?? TENANT_OTLP_PREFIX.exec(rawPath);
  if (m) {
    let tenant: Tenant;
    try {
      tenant = parseTenant(m[2]!);
    } catch (e) {
      throw new HttpError(400, (e as Error).message);
    }
    return { path: m[3] || '/', tenant };
  }
  let path = rawPath;
  if (path.startsWith('/prometheus/')) path = path.slice('/prometheus'.length);
  if (orgIdHeader) {
    try {
      return { path, tenant: parseTenant(orgIdHeader) };
    } catch (e) {
      throw new HttpError(400, `X-Scope-OrgID: ${(e as Error).message}`);
    }
  }
  return { path, tenant: DEFAULT_TENANT };
}
