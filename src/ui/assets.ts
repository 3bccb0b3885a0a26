/**
 * The built UI files (dist/ui, made by scripts/build-ui.mjs) held in memory with their
 * precompressed .gz/.br copies, and the choice of encoding from Accept-Encoding.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type Encoding = 'br' | 'gzip' | 'identity';

export interface Asset {
  readonly contentType: string;
  readonly bodies: Readonly<Partial<Record<Encoding, Uint8Array>>> & { readonly identity: Uint8Array };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/** Files by path relative to the UI root ('index.html', 'assets/app-X.js'); empty when not built. */
export function loadAssets(dir: string): Map<string, Asset> {
  const out = new Map<string, Asset>();
  if (!existsSync(dir)) return out;
  const walk = (d: string, prefix: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        walk(p, prefix + name + '/');
        continue;
      }
      if (name.startsWith('.') || name.endsWith('.gz') || name.endsWith('.br')) continue;
      const ext = name.slice(name.lastIndexOf('.'));
      const bodies: { identity: Uint8Array; gzip?: Uint8Array; br?: Uint8Array } = { identity: readFileSync(p) };
      if (existsSync(p + '.gz')) bodies.gzip = readFileSync(p + '.gz');
      if (existsSync(p + '.br')) bodies.br = readFileSync(p + '.br');
      out.set(prefix + name, { contentType: TYPES[ext] ?? 'application/octet-stream', bodies });
    }
  };
  walk(dir, '');
  return out;
}

/** The best encoding both sides have: brotli, then gzip, then none; `q=0` refuses one. */
export function chooseEncoding(acceptEncoding: string | undefined, available: ReadonlySet<Encoding>): Encoding {
  if (!acceptEncoding) return 'identity';
  const accepted = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [token, ...params] = part.trim().toLowerCase().split(';');
    if (!token) continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q=([0-9.]+)\s*$/.exec(p);
      if (m) q = Number(m[1]);
    }
    accepted.set(token, q);
  }
  const ok = (e: string) => (accepted.get(e) ?? accepted.get('*') ?? 0) > 0;
  if (available.has('br') && ok('br')) return 'br';
  if (available.has('gzip') && ok('gzip')) return 'gzip';
  return 'identity';
}
