/**
 * How the server hands out the web UI, over real HTTP: redirects (also under /prometheus/ and
 * tenant prefixes), caching, precompressed encodings, CSP, basic auth, and the lazy editor chunk.
 */
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startStrata, type StrataProcess } from '../helpers/strata-process.js';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function raw(url: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

const WWW = join(ROOT, 'dist/ui/www');
const index = () => readFileSync(join(WWW, 'index.html'), 'utf8');
const entryAsset = () => /src="(assets\/app-[A-Z0-9]+\.js)"/.exec(index())![1]!;

describe('web UI serving', () => {
  let s: StrataProcess;
  beforeAll(async () => {
    s = await startStrata();
  });
  afterAll(() => s.stop());

  const redirectTarget = async (path: string) => {
    const r = await raw(s.url + path);
    expect(r.status, path).toBe(302);
    const location = String(r.headers['location']);
    return { location, resolved: new URL(location, s.url + path) };
  };

  it.each([
    ['/', '/vmui/'],
    ['/vmui', '/vmui/'],
    ['/prometheus/', '/prometheus/vmui/'],
    ['/prometheus/vmui', '/prometheus/vmui/'],
    ['/select/1:2/prometheus', '/select/1:2/prometheus/vmui/'],
    ['/select/1:2/prometheus/', '/select/1:2/prometheus/vmui/'],
    ['/select/1:2/prometheus/vmui', '/select/1:2/prometheus/vmui/'],
  ])('redirects %s to %s', async (from, to) => {
    expect((await redirectTarget(from)).resolved.pathname).toBe(to);
  });

  it('redirects /graph?… relatively to vmui/?… with the query string unchanged', async () => {
    const qs = 'g0.expr=rate(up%5B5m%5D)&g0.tab=table&g0.range_input=1h';
    for (const prefix of ['', '/prometheus', '/select/0/prometheus']) {
      const { location, resolved } = await redirectTarget(`${prefix}/graph?${qs}`);
      expect(location).toBe(`vmui/?${qs}`);
      expect(resolved.pathname).toBe(`${prefix}/vmui/`);
    }
  });

  it('serves index.html with no-cache and a default-src self CSP', async () => {
    for (const path of ['/vmui/', '/prometheus/vmui/', '/select/0/prometheus/vmui/']) {
      const r = await raw(s.url + path);
      expect(r.status, path).toBe(200);
      expect(r.headers['content-type']).toContain('text/html');
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(String(r.headers['content-security-policy'])).toMatch(/^default-src 'self';/);
      expect(String(r.headers['content-security-policy'])).not.toContain('unsafe');
      expect(r.body.toString()).toContain(`src="${entryAsset()}"`);
    }
  });

  it('serves hashed assets as immutable, brotli or gzip by Accept-Encoding, identical once decoded', async () => {
    const url = `${s.url}/vmui/${entryAsset()}`;
    const plain = await raw(url);
    expect(plain.status).toBe(200);
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-type']).toContain('text/javascript');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['vary']).toBe('Accept-Encoding');

    const br = await raw(url, { 'Accept-Encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    expect(br.body.length).toBeLessThan(plain.body.length / 2);

    const gz = await raw(url, { 'Accept-Encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);

    const refused = await raw(url, { 'Accept-Encoding': 'br;q=0, gzip' });
    expect(refused.headers['content-encoding']).toBe('gzip');
  });

  it('answers 404 for an unknown asset', async () => {
    expect((await raw(`${s.url}/vmui/assets/nope-AAAAAAAA.js`)).status).toBe(404);
  });

  it('loads the editor as its own chunk: the page names only the entry, which imports the editor dynamically', async () => {
    const html = index();
    expect(html).not.toMatch(/editor-/);
    const entry = readFileSync(join(WWW, entryAsset()), 'utf8');
    expect(entry).toMatch(/import\("\.\/editor-[A-Z0-9]+\.js"\)/);
    const sizes = JSON.parse(readFileSync(join(WWW, 'sizes.json'), 'utf8')) as { gzipBytes: Record<string, number>; budgets: Record<string, number> };
    for (const [k, budget] of Object.entries(sizes.budgets)) expect(sizes.gzipBytes[k], k).toBeLessThanOrEqual(budget);
  });
});

describe('web UI behind basic auth', () => {
  let s: StrataProcess;
  beforeAll(async () => {
    s = await startStrata({ args: ['--httpAuth.username=alice', '--httpAuth.password=s3cret'] });
  });
  afterAll(() => s.stop());

  it('asks for credentials on the redirects, the page and the assets', async () => {
    for (const path of ['/', '/graph?g0.expr=up', '/vmui/', `/vmui/${entryAsset()}`]) {
      const r = await raw(s.url + path);
      expect(r.status, path).toBe(401);
      expect(r.headers['www-authenticate']).toContain('Basic');
    }
    const ok = await raw(`${s.url}/vmui/`, { Authorization: 'Basic ' + Buffer.from('alice:s3cret').toString('base64') });
    expect(ok.status).toBe(200);
  });
});
