/**
 * The uWebSockets.js adapter: turns uWS's callback-and-corking API into `Request → Response`
 * handlers, with the body read under a size limit, aborted requests handled, a deadline per
 * route, auth before any handler, streaming with backpressure and per-route request metrics.
 */
import { existsSync } from 'node:fs';
import uWS from 'uWebSockets.js';
import type { HttpResponse as UwsResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { log } from '../logger.js';
import type { Counter, MetricsRegistry } from '../metrics.js';
import { checkAuth, type AuthConfig } from './auth.js';
import { HttpError, classifyError, errorBody, statusLine } from './errors.js';
import type { Chunk, Request, Response } from './request.js';
import type { Route, RouteMatch, Router } from './router.js';

export interface HttpServerOptions {
  readonly auth: AuthConfig;
  /** Default body limit for routes that do not set one (--maxInsertRequestSize). */
  readonly maxBodySize: number;
  /** A request body must arrive in full within this long (--insert.maxBodyReadDuration); 0 = no limit. */
  readonly bodyReadTimeoutMs?: number;
  readonly tls?: { certFile: string; keyFile: string };
  readonly metrics: MetricsRegistry;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export class HttpServer {
  private readonly app: TemplatedApp;
  private listenSocket: us_listen_socket | null = null;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly requests: Counter;
  private readonly errors: Counter;

  constructor(
    private readonly router: Router,
    private readonly opts: HttpServerOptions,
  ) {
    if (opts.tls) {
      for (const f of [opts.tls.certFile, opts.tls.keyFile]) {
        if (!existsSync(f)) throw new Error(`TLS file ${JSON.stringify(f)} does not exist`);
      }
      this.app = uWS.SSLApp({ cert_file_name: opts.tls.certFile, key_file_name: opts.tls.keyFile });
    } else {
      this.app = uWS.App();
    }
    this.requests = opts.metrics.counter('strata_http_requests_total', 'HTTP requests served, by route and status code.');
    this.errors = opts.metrics.counter('strata_http_request_errors_total', 'HTTP requests that ended in an error, by route and status code.');
    this.app.any('/*', (res, req) => this.onRequest(res, req));
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.app.listen(host, port, (sock) => {
        if (!sock) {
          reject(new Error(`cannot listen on ${host}:${port}: address in use or not available`));
          return;
        }
        this.listenSocket = sock;
        resolve(uWS.us_socket_local_port(sock as unknown as Parameters<typeof uWS.us_socket_local_port>[0]));
      });
    });
  }

  /** Stops accepting new connections; requests already in flight carry on. */
  stopAccepting(): void {
    if (this.listenSocket) {
      uWS.us_listen_socket_close(this.listenSocket);
      this.listenSocket = null;
    }
  }

  /** Resolves when no request is in flight, or after timeoutMs. */
  drain(timeoutMs: number): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private onRequest(res: UwsResponse, req: uWS.HttpRequest): void {
    // Everything from `req` must be copied now: uWS frees it when this callback returns.
    const method = req.getCaseSensitiveMethod().toUpperCase();
    const rawPath = req.getUrl();
    const rawQuery = req.getQuery() ?? '';
    const query = new URLSearchParams(rawQuery);
    const headers = new Map<string, string>();
    req.forEach((k, v) => headers.set(k, v));
    const ctl = new AbortController();
    const state: ResponseState = { aborted: false, responded: false, stalled: false, bodyArrived: null };
    res.onAborted(() => {
      state.aborted = true;
      // Not an error of ours: handlers waiting on the body or an insert slot settle with it, and
      // nothing is sent (the client is gone).
      ctl.abort(new HttpError(400, 'client closed the connection', 'canceled'));
    });

    let match: RouteMatch;
    try {
      match = this.router.match(method, rawPath, headers.get('x-scope-orgid'));
      checkAuth(this.opts.auth, match.route.auth, headers.get('authorization'), query);
    } catch (e) {
      this.respond(res, state, '(unmatched)', errorResponse(e, 'json'), true);
      return;
    }
    const { route } = match;
    const label = route.pattern;

    const limit = route.bodyLimit ?? this.opts.maxBodySize;
    let bodyPromise: Promise<Uint8Array> = Promise.resolve(new Uint8Array(0));
    if (BODY_METHODS.has(method)) {
      const declared = Number(headers.get('content-length') ?? '');
      if (Number.isFinite(declared) && declared > limit) {
        // Answered at once, without running the handler, and the connection is kept: uWS reads
        // the declared body and throws it away. Closing with unread bytes in the socket would
        // make the kernel send a reset, and the client would lose the 413 before reading it.
        this.respond(res, state, label, errorResponse(tooLarge(declared, limit), route.errorFormat));
        return;
      }
      bodyPromise = readBody(res, state, limit, Number.isFinite(declared) && declared > 0 ? declared : 0, ctl, this.opts.bodyReadTimeoutMs ?? 0);
      bodyPromise.catch(() => undefined); // observed by the handler; never an unhandled rejection
    }

    let formCache: Promise<URLSearchParams> | null = null;
    const request: Request = {
      method,
      path: match.path,
      rawPath,
      query,
      rawQuery,
      headers,
      params: match.params,
      tenant: match.tenant,
      signal: ctl.signal,
      body: () => bodyPromise,
      form: () => (formCache ??= readForm(query, headers.get('content-type'), bodyPromise)),
    };
    void this.run(res, state, route, label, request, ctl);
  }

  private async run(res: UwsResponse, state: ResponseState, route: Route, label: string, request: Request, ctl: AbortController): Promise<void> {
    this.inFlight++;
    let timer: NodeJS.Timeout | undefined;
    try {
      const handled = Promise.resolve().then(() => route.handler(request));
      let response: Response;
      if (route.deadlineMs !== undefined) {
        const deadline = new Promise<Response>((resolve) => {
          timer = setTimeout(() => {
            const err = new HttpError(503, `request did not finish within ${route.deadlineMs} ms`, 'timeout');
            ctl.abort(err);
            resolve(errorResponse(err, route.errorFormat));
          }, route.deadlineMs);
        });
        response = await Promise.race([handled.catch((e: unknown) => errorResponse(e, route.errorFormat)), deadline]);
      } else {
        response = await handled.catch((e: unknown) => errorResponse(e, route.errorFormat));
      }
      // 503 is a state (read-only, overloaded, timed out) that is logged where it starts, not per request.
      if (response.status >= 500 && response.status !== 503) log.error('request failed', { path: request.rawPath, status: response.status });
      if (state.bodyArrived) await state.bodyArrived;
      await this.respondAsync(res, state, label, response, request.method === 'HEAD', route.errorFormat);
    } finally {
      if (timer) clearTimeout(timer);
      this.inFlight--;
      if (this.inFlight === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }

  private count(label: string, status: number): void {
    const labels = { path: label, code: String(status) };
    this.requests.inc(labels);
    if (status >= 400) this.errors.inc(labels);
  }

  /** Claims the response for writing once; false when it was answered already or the client left. */
  private begin(state: ResponseState, label: string, status: number): boolean {
    if (state.aborted || state.responded) return false;
    state.responded = true;
    this.count(label, status);
    return true;
  }

  /** Writes a whole response; `close` drops the connection (also done when the body stalled). */
  private respond(res: UwsResponse, state: ResponseState, label: string, r: Response, close = false): void {
    if (!this.begin(state, label, r.status)) return;
    res.cork(() => {
      writeHead(res, r);
      res.end(r.body ?? '', close || state.stalled);
    });
  }

  private async respondAsync(res: UwsResponse, state: ResponseState, label: string, r: Response, head: boolean, format: 'json' | 'text'): Promise<void> {
    if (!r.stream || head) {
      this.respond(res, state, label, head ? { status: r.status, headers: r.headers } : r);
      return;
    }
    // The first chunk is produced before the status line is sent, so a stream that fails at once
    // (a bad selector, a limit) still gets its 4xx instead of a cut connection.
    const it = r.stream[Symbol.asyncIterator]();
    let first: IteratorResult<Chunk>;
    try {
      first = await it.next();
    } catch (e) {
      this.respond(res, state, label, errorResponse(e, format));
      return;
    }
    if (!this.begin(state, label, r.status)) {
      await it.return?.();
      return;
    }
    res.cork(() => writeHead(res, r));
    try {
      for (let next = first; !next.done; next = await it.next()) {
        if (state.aborted) {
          await it.return?.();
          return;
        }
        if (!writeChunk(res, next.value)) await writable(res, state);
      }
    } catch (e) {
      // Headers are gone already: the only honest signal left is to cut the connection.
      log.error('stream failed', { error: (e as Error).message });
      if (!state.aborted) res.close();
      state.aborted = true;
      return;
    }
    if (!state.aborted) res.cork(() => res.end());
  }
}

interface ResponseState {
  aborted: boolean;
  responded: boolean;
  /** The body did not arrive in full before its deadline: the answer closes the connection. */
  stalled: boolean;
  /**
   * Settles once the whole body has arrived, stalled past its deadline, or the request was
   * aborted (null: nothing to wait for). An answer ready earlier (a 4xx before reading the body)
   * waits for it: closing with body bytes unread makes the kernel send a reset that can destroy
   * the answer, and keeping the connection for a client that never finishes would let it linger.
   */
  bodyArrived: Promise<void> | null;
}

function writeHead(res: UwsResponse, r: Response): void {
  res.writeStatus(statusLine(r.status));
  for (const [k, v] of Object.entries(r.headers ?? {})) res.writeHeader(k, v);
}

function writeChunk(res: UwsResponse, chunk: Chunk): boolean {
  let ok = true;
  res.cork(() => {
    ok = res.write(chunk);
  });
  return ok;
}

/** Waits until uWS can take more output, or the client has gone (onAborted sets the flag). */
function writable(res: UwsResponse, state: ResponseState): Promise<void> {
  return new Promise((resolve) => {
    if (state.aborted) return resolve();
    // onAborted fires instead of onWritable when the client leaves, so poll the flag as well.
    const poll = setInterval(() => {
      if (state.aborted) {
        clearInterval(poll);
        resolve();
      }
    }, 100);
    res.onWritable(() => {
      clearInterval(poll);
      resolve();
      return true;
    });
  });
}

function tooLarge(size: number, limit: number): HttpError {
  return new HttpError(413, `request body of ${size} bytes exceeds the limit of ${limit} bytes (--maxInsertRequestSize)`);
}

/**
 * Reads the body; must be called synchronously inside the uWS handler, before any await. Settles
 * on every path, because an insert slot is held while it is awaited: it rejects when the client
 * leaves, when the route's deadline aborts the request, past the size limit, and when the body
 * has not arrived within `timeoutMs` (slow or stalled clients), which also aborts the request so
 * one still queued for an insert slot is answered at once.
 */
function readBody(res: UwsResponse, state: ResponseState, limit: number, declared: number, ctl: AbortController, timeoutMs: number): Promise<Uint8Array> {
  let arrived = (): void => {};
  // Without a deadline a stalled body would hold its answer forever: answer at once instead.
  if (timeoutMs > 0) state.bodyArrived = new Promise<void>((r) => (arrived = r));
  return new Promise((resolve, reject) => {
    let buf = new Uint8Array(Math.min(declared, limit) || 16 * 1024);
    let len = 0;
    let settled = false;
    let finished = false;
    const settle = (err: unknown, body?: Uint8Array) => {
      if (settled) return;
      settled = true;
      if (body) {
        resolve(body);
      } else {
        reject(err);
      }
    };
    const finish = (stalled: boolean) => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      ctl.signal.removeEventListener('abort', onAbort);
      state.stalled = stalled;
      arrived();
    };
    const onAbort = () => {
      settle(ctl.signal.reason);
      finish(true);
    };
    ctl.signal.addEventListener('abort', onAbort, { once: true });
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            const err = new HttpError(408, `the request body did not arrive within ${timeoutMs} ms (received ${len} bytes; --insert.maxBodyReadDuration)`);
            settle(err);
            finish(true);
            ctl.abort(err);
          }, timeoutMs)
        : undefined;
    res.onData((ab, isLast) => {
      if (settled) {
        // Answered already (over the limit): the rest is read and dropped before the answer goes.
        if (isLast) finish(false);
        return;
      }
      if (len + ab.byteLength > limit) {
        settle(tooLarge(len + ab.byteLength, limit));
        if (isLast) finish(false);
        return;
      }
      const chunk = new Uint8Array(ab);
      if (len + chunk.length > buf.length) {
        const grown = new Uint8Array(Math.min(limit, Math.max(buf.length * 2, len + chunk.length)));
        grown.set(buf.subarray(0, len));
        buf = grown;
      }
      buf.set(chunk, len); // copies: uWS neuters `ab` after this callback
      len += chunk.length;
      if (isLast) {
        finish(false);
        settle(null, buf.subarray(0, len));
      }
    });
  });
}

async function readForm(query: URLSearchParams, contentType: string | undefined, body: Promise<Uint8Array>): Promise<URLSearchParams> {
  const merged = new URLSearchParams(query);
  if (contentType && contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(Buffer.from(await body).toString('utf8'));
    for (const [k, v] of form) merged.append(k, v);
  }
  return merged;
}

/** Any thrown value as a response (classifyError); what no class accounts for is a logged 500. */
export function errorResponse(e: unknown, format: 'json' | 'text'): Response {
  const { status, errorType, known } = classifyError(e, 'internal');
  let message = e instanceof Error ? e.message : String(e);
  const headers: Record<string, string> = e instanceof HttpError ? { ...e.headers } : {};
  if (!known) {
    log.error('unexpected error in handler', { error: e instanceof Error ? (e.stack ?? e.message) : message });
    message = `internal error: ${message}`;
  }
  if (format === 'text') return { status, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }, body: message + '\n' };
  return { status, headers: { ...headers, 'Content-Type': 'application/json' }, body: errorBody(errorType, message) };
}
