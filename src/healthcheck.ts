/**
 * The container image's HEALTHCHECK: exits 0 when the running `strata serve` answers /health.
 *
 * Users pass flags after the image name, so the port and scheme are not known when the image is
 * built (with host networking `--httpListenAddr` is the only way to move the port). The address is
 * therefore read from the server's own command line in /proc and parsed by the flag table in
 * config.ts, the same code the server used.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { FLAGS, buildConfig } from './config.js';

const TIMEOUT_MS = 2500;
const FLAG_NAMES = new Set<string>(FLAGS.map((f) => f.flag));

/** The argv of the `strata serve` process in this PID namespace (PID 1 unless run under an init). */
function serveArgv(): string[] | null {
  const pids = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
    .sort((a, b) => Number(a) - Number(b));
  for (const pid of pids) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited while we looked
    }
    const i = argv.indexOf('serve');
    if (i > 0 && argv.slice(0, i).some((a) => /(^|\/)(strata|cli\.js)$/.test(a))) return argv.slice(i + 1);
  }
  return null;
}

/** Flag values as the CLI reads them: `--f=v`, `--f v`, single-dash spellings, last one wins, bare `--tls`. */
function flagValuesOf(args: readonly string[]): Record<string, string | boolean> {
  const values: Record<string, string | boolean> = {};
  for (let i = 0; i < args.length; i++) {
    const m = /^--?([a-zA-Z][\w.]*)(?:=(.*))?$/s.exec(args[i]!);
    if (!m || !FLAG_NAMES.has(m[1]!)) continue;
    const name = m[1]!;
    if (m[2] !== undefined) values[name] = m[2];
    else if (name === 'tls') values[name] = args[i + 1] !== undefined && !args[i + 1]!.startsWith('-') ? args[++i]! : true;
    else if (args[i + 1] !== undefined) values[name] = args[++i]!;
  }
  return values;
}

function healthUrl(args: readonly string[]): URL {
  const config = buildConfig(flagValuesOf(args));
  const { host, port } = config.httpListenAddr;
  // A wildcard listen address is reachable on loopback; a specific one only on itself.
  const target = host === '' || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return new URL(`${config.tls ? 'https' : 'http'}://${target}:${port}/health`);
}

function check(url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const onResponse = (res: IncomingMessage) => {
      res.resume();
      resolve(res.statusCode === 200);
    };
    const req =
      url.protocol === 'https:'
        ? // The server's certificate is rarely issued for 127.0.0.1; reachability is what is checked here.
          httpsRequest(url, { timeout: TIMEOUT_MS, rejectUnauthorized: false }, onResponse)
        : httpRequest(url, { timeout: TIMEOUT_MS }, onResponse);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

const args = serveArgv();
if (!args) {
  process.stderr.write('healthcheck: no `strata serve` process found\n');
  process.exit(1);
}
const url = healthUrl(args);
const ok = await check(url);
if (!ok) process.stderr.write(`healthcheck: ${url.href} did not answer 200\n`);
process.exit(ok ? 0 : 1);
