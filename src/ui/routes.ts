/**
 * Serves the web UI under /vmui/ (and every prefix the router strips: /prometheus/, tenants),
 * with the redirects VictoriaMetrics and Prometheus users follow: `/`, `/vmui`, `/graph?…`.
 */
import { fileURLToPath } from 'node:url';
import { HttpError, type Request, type Response, type Router } from '../server/index.js';
import { chooseEncoding, loadAssets, type Asset, type Encoding } from './assets.js';

/** dist/ui/www, next to this module once compiled to dist/ui/routes.js. */
const DEFAULT_DIR = fileURLToPath(new URL('./www/', import.meta.url));

// The editor (CodeMirror) injects its theme through constructed style sheets; uPlot and the
// editor position elements through the CSSOM. Neither needs inline <style> or scripts.
// `img-src data:` lets the PNG download and uPlot's canvas export work.
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

const HASHED = /-[A-Z0-9]{8}\.(js|css)$/;

function redirect(location: string): Response {
  return { status: 302, headers: { Location: location, 'Content-Type': 'text/plain; charset=utf-8' }, body: `Found: ${location}\n` };
}

/** The last segment of the raw path, so a relative Location resolves inside any prefix. */
function lastSegment(rawPath: string): string {
  return rawPath.slice(rawPath.lastIndexOf('/') + 1);
}

function withQuery(req: Request): string {
  return req.rawQuery === '' ? '' : `?${req.rawQuery}`;
}

function serve(asset: Asset, req: Request, cacheControl: string): Response {
  const available = new Set(Object.keys(asset.bodies) as Encoding[]);
  const enc = chooseEncoding(req.headers.get('accept-encoding'), available);
  const headers: Record<string, string> = {
    'Content-Type': asset.contentType,
    'Cache-Control': cacheControl,
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    Vary: 'Accept-Encoding',
  };
  if (enc !== 'identity') headers['Content-Encoding'] = enc;
  return { status: 200, headers, body: asset.bodies[enc] ?? asset.bodies.identity };
}

export function registerUiRoutes(router: Router, dir: string = DEFAULT_DIR): void {
  const assets = loadAssets(dir);
  const index = (req: Request): Response => {
    const page = assets.get('index.html');
    if (!page) throw new HttpError(404, 'the web UI is not built: run `npm run build`');
    return serve(page, req, 'no-cache');
  };
  // Relative redirects: a proxy that mounts Strata under /some/prefix/ keeps its prefix.
  router.add('GET', '/', (req) => redirect(req.rawPath.endsWith('/') ? 'vmui/' : `${lastSegment(req.rawPath)}/vmui/`));
  router.add('GET', '/vmui', (req) => redirect(`${lastSegment(req.rawPath)}/${withQuery(req)}`));
  router.add('GET', '/graph', (req) => redirect(`vmui/${withQuery(req)}`));
  router.add('GET', '/vmui/', index);
  router.add('GET', '/vmui/index.html', index);
  router.add('GET', '/vmui/assets/:file', (req) => {
    const file = req.params['file']!;
    const asset = assets.get(`assets/${file}`);
    if (!asset) throw new HttpError(404, `no UI asset ${JSON.stringify(file)}`);
    return serve(asset, req, HASHED.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache');
  });
}
