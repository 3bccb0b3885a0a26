/** The server's VictoriaMetrics-style snapshot API over HTTP, for `strata snapshot` and `backup`. */
import { TransferError } from './errors.js';

interface VmReply {
  status?: string;
  snapshot?: string;
  snapshots?: string[];
  msg?: string;
}

async function call(url: string): Promise<VmReply> {
  let r: globalThis.Response;
  try {
    r = await fetch(url, { method: 'POST' });
  } catch (e) {
    throw new TransferError(
      `cannot reach ${redact(url)}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`,
    );
  }
  const text = await r.text();
  let body: VmReply = {};
  try {
    body = JSON.parse(text) as VmReply;
  } catch {
    // not JSON: reported below with the status
  }
  if (r.status !== 200 || body.status !== 'ok') {
    throw new TransferError(`${redact(url)} answered ${r.status}: ${body.msg ?? ((body as { error?: string }).error || text.slice(0, 300))}`);
  }
  return body;
}

/** The URL without its authKey value, for messages. */
function redact(url: string): string {
  return url.replace(/([?&]authKey=)[^&]*/, '$1***');
}

function withPath(base: string, path: string, args: Record<string, string> = {}): string {
  const u = new URL(base);
  u.pathname = u.pathname.replace(/\/snapshot\/create$/, '').replace(/\/$/, '') + path;
  for (const [k, v] of Object.entries(args)) u.searchParams.set(k, v);
  return u.toString();
}

export function checkUrl(raw: string, flag: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new TransferError(`-${flag}=${JSON.stringify(raw)} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TransferError(`-${flag}=${JSON.stringify(raw)}: want an http:// or https:// URL`);
  return raw;
}

/**
 * `createURL` is the server's `/snapshot/create` (as vmbackup's `-snapshot.createURL`) or just
 * the server's base URL; an `authKey` query arg in it is kept for every call.
 */
export class SnapshotClient {
  constructor(private readonly createURL: string) {}

  async create(): Promise<string> {
    const body = await call(withPath(this.createURL, '/snapshot/create'));
    if (!body.snapshot) throw new TransferError(`${redact(this.createURL)} answered without a snapshot name`);
    return body.snapshot;
  }

  async list(): Promise<string[]> {
    return (await call(withPath(this.createURL, '/snapshot/list'))).snapshots ?? [];
  }

  async delete(name: string): Promise<void> {
    await call(withPath(this.createURL, '/snapshot/delete', { snapshot: name }));
  }

  async deleteAll(): Promise<void> {
    await call(withPath(this.createURL, '/snapshot/delete_all'));
  }
}
