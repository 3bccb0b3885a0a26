/** A minimal HTTP client over node:http with keep-alive agents: fetch's overhead would be measured too. */
import http from 'node:http';

export interface HttpResponse {
  readonly status: number;
  readonly body: Buffer;
}

export class HttpTimeoutError extends Error {
  override name = 'HttpTimeoutError';
}

export function keepAliveAgent(maxSockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
}

export function httpRequest(
  url: string,
  opts: { method?: string; body?: Uint8Array; headers?: Readonly<Record<string, string>>; agent?: http.Agent; timeoutMs?: number } = {},
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...(opts.headers ?? {}) };
    if (opts.body) headers['Content-Length'] = opts.body.length;
    const req = http.request(url, { method: opts.method ?? (opts.body ? 'POST' : 'GET'), headers, agent: opts.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    const timeoutMs = opts.timeoutMs ?? 60_000;
    req.setTimeout(timeoutMs, () => req.destroy(new HttpTimeoutError(`${opts.method ?? 'GET'} ${url}: no response in ${timeoutMs} ms`)));
    req.on('error', reject);
    if (opts.body) req.end(opts.body);
    else req.end();
  });
}

/** Polls url until it answers 2xx, the process dies, or the deadline passes. */
export async function waitHttpOk(url: string, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`process exited before ${url} answered`);
    try {
      const r = await httpRequest(url, { timeoutMs: 2000 });
      if (r.status >= 200 && r.status < 300) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (${last})`);
}
