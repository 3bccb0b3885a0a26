/**
 * One remote-write destination: how to reach it and how to treat its answers, as Prometheus and
 * vmagent do. 2xx: sent. 400, 409, 415: the receiver will never take these samples (out of
 * bounds, duplicate, unsupported): dropped and counted, never retried. Anything else (5xx, 429,
 * other 4xx, network errors): retried with doubling backoff and jitter, honouring Retry-After.
 */
export interface DestinationConfig {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly protocol: 1 | 2;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
}

export type SendOutcome = { readonly kind: 'sent' } | { readonly kind: 'dropped'; readonly status: number; readonly reason: string };

const NOT_RETRIED = new Set([400, 409, 415]);
const REQUEST_TIMEOUT_MS = 30_000;

/** `Retry-After` as seconds or an HTTP date, in ms from now; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null || header.trim() === '') return null;
  const secs = Number(header);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** The URL as metrics and logs show it: without credentials. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

export class Destination {
  retries = 0;
  readonly shown: string;

  constructor(
    readonly cfg: DestinationConfig,
    private readonly sleep: (ms: number) => Promise<boolean>,
  ) {
    this.shown = displayUrl(cfg.url);
  }

  /**
   * Sends one snappy-compressed body until it is sent or dropped; resolves 'stopped' when `sleep`
   * says the forwarder is shutting down (the caller then keeps its cursor where it was).
   */
  async send(body: Uint8Array): Promise<SendOutcome | 'stopped'> {
    let backoff = this.cfg.retryMinMs;
    for (;;) {
      let wait: number;
      try {
        const r = await fetch(this.cfg.url, {
          method: 'POST',
          body,
          headers: {
            'Content-Encoding': 'snappy',
            'Content-Type': this.cfg.protocol === 2 ? 'application/x-protobuf;proto=io.prometheus.write.v2.Request' : 'application/x-protobuf',
            'X-Prometheus-Remote-Write-Version': this.cfg.protocol === 2 ? '2.0.0' : '0.1.0',
            'User-Agent': 'strata-forwarder',
            ...this.cfg.headers,
          },
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const text = r.status >= 300 ? (await r.text()).slice(0, 300) : '';
        if (r.status >= 200 && r.status < 300) {
          await r.body?.cancel().catch(() => undefined);
          return { kind: 'sent' };
        }
        if (NOT_RETRIED.has(r.status)) return { kind: 'dropped', status: r.status, reason: text.trim() };
        wait = Math.max(backoff, retryAfterMs(r.headers.get('retry-after')) ?? 0);
      } catch {
        wait = backoff;
      }
      this.retries++;
      // ±20% jitter, so several Strata servers do not retry in step.
      const jittered = wait * (0.8 + Math.random() * 0.4);
      if (!(await this.sleep(jittered))) return 'stopped';
      backoff = Math.min(this.cfg.retryMaxMs, backoff * 2);
    }
  }
}
