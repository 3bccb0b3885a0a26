/** Basic auth and the admin key. A request failing either gets 401 before any handler runs. */
import { timingSafeEqual } from 'node:crypto';
import { HttpError } from './errors.js';
import type { AuthLevel } from './router.js';

export interface AuthConfig {
  readonly username: string;
  readonly password: string;
  readonly adminAuthKey: string;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Throws HttpError 401 unless the request carries what the route's auth level needs. */
export function checkAuth(cfg: AuthConfig, level: AuthLevel, authorization: string | undefined, query: URLSearchParams): void {
  if (level === 'none') return;
  if (cfg.username !== '') {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
    const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
    const sep = decoded.indexOf(':');
    const ok = sep >= 0 && safeEqual(decoded.slice(0, sep), cfg.username) && safeEqual(decoded.slice(sep + 1), cfg.password);
    if (!ok) {
      throw new HttpError(401, m ? 'wrong basic auth credentials' : 'missing basic auth credentials', 'unauthorized', {
        'WWW-Authenticate': 'Basic realm="strata"',
      });
    }
  }
  if (level === 'admin' && cfg.adminAuthKey !== '') {
    const key = query.get('authKey') ?? '';
    if (!safeEqual(key, cfg.adminAuthKey)) {
      throw new HttpError(401, key === '' ? 'missing authKey query arg (set by --adminAuthKey)' : 'wrong authKey', 'unauthorized');
    }
  }
}
