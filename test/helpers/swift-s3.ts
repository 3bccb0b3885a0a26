/**
 * A real S3-compatible server for tests: OpenStack Swift from the Debian packages (swift-proxy,
 * -account, -container, -object, memcached) with its s3api middleware and tempauth, on loopback
 * ports, with a one-replica ring and its storage in a temp dir. Swift reads swift.conf from
 * /etc/swift unless told otherwise, so each server is started through a tiny Python launcher
 * that points it at the temp dir first (nothing under /etc is touched).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SWIFT_ACCESS_KEY = 'test:tester';
export const SWIFT_SECRET_KEY = 'testing';
const PYTHON = '/usr/bin/python3';
const BINARIES = [
  '/usr/bin/swift-proxy-server',
  '/usr/bin/swift-object-server',
  '/usr/bin/swift-container-server',
  '/usr/bin/swift-account-server',
  '/usr/bin/swift-ring-builder',
  '/usr/bin/memcached',
];

export interface SwiftS3 {
  readonly endpoint: string;
  readonly dir: string;
  /** A credentials file (AWS shared-credentials format) with profile `strata-test`. */
  readonly credsFile: string;
  stop(): Promise<void>;
}

/** Why Swift cannot run here, or null when it can. */
export function swiftUnavailable(): string | null {
  const missing = BINARIES.filter((b) => !existsSync(b));
  if (missing.length > 0) return `missing ${missing.join(', ')} (Debian packages swift, swift-proxy, swift-object, swift-container, swift-account, memcached)`;
  // Swift keeps object metadata in user xattrs; tmpfs without them or overlay setups may refuse.
  const probe = spawnSync(PYTHON, [
    '-c',
    `import os,tempfile\nf=tempfile.NamedTemporaryFile(dir=${JSON.stringify(tmpdir())})\nos.setxattr(f.name,'user.swift.test',b'x'*1024)`,
  ]);
  if (probe.status !== 0) return `user xattrs do not work in ${tmpdir()}: ${probe.stderr.toString().trim().split('\n').at(-1)}`;
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const LAUNCHER = `import sys
from swift.common import utils
utils.set_swift_dir(sys.argv[1])
from swift.common.wsgi import run_wsgi
kw = {}
if sys.argv[3] == 'object-server':
    from swift.obj import server
    kw['global_conf_callback'] = server.global_conf_callback
sys.exit(run_wsgi(sys.argv[2], sys.argv[3], **kw))
`;

function serverConf(dir: string, kind: string, port: number): string {
  return `[DEFAULT]
devices = ${dir}/srv
mount_check = false
bind_ip = 127.0.0.1
bind_port = ${port}
workers = 0
swift_dir = ${dir}
log_level = WARNING
disable_fallocate = true

[pipeline:main]
pipeline = ${kind}-server

[app:${kind}-server]
use = egg:swift#${kind}
`;
}

function proxyConf(dir: string, port: number, memcachePort: number): string {
  return `[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${port}
workers = 0
swift_dir = ${dir}
log_level = WARNING

[pipeline:main]
pipeline = catch_errors gatekeeper proxy-logging cache s3api tempauth bulk slo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = ${SWIFT_SECRET_KEY} .admin

[filter:s3api]
use = egg:swift#s3api

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:${memcachePort}

[filter:bulk]
use = egg:swift#bulk

[filter:slo]
use = egg:swift#slo

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:proxy-logging]
use = egg:swift#proxy_logging
`;
}

async function waitForHttp(url: string, children: ChildProcess[], logs: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    for (const c of children) if (c.exitCode !== null) throw new Error(`a Swift process exited with ${c.exitCode}:\n${logs()}`);
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`Swift did not answer on ${url} within 60 s:\n${logs()}`);
}

export async function startSwiftS3(): Promise<SwiftS3> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-swift-'));
  mkdirSync(join(dir, 'srv', 'sdb1'), { recursive: true });
  writeFileSync(
    join(dir, 'swift.conf'),
    '[swift-hash]\nswift_hash_path_suffix = strata-test\nswift_hash_path_prefix = strata-test\n\n[storage-policy:0]\nname = Policy-0\ndefault = yes\n',
  );
  writeFileSync(join(dir, 'launch.py'), LAUNCHER);
  const [proxy, account, container, object, memcache] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const ports: Record<string, number> = { account, container, object };
  for (const kind of ['account', 'container', 'object']) {
    const builder = join(dir, `${kind}.builder`);
    execFileSync('/usr/bin/swift-ring-builder', [builder, 'create', '1', '1', '1'], { stdio: 'ignore' });
    execFileSync('/usr/bin/swift-ring-builder', [builder, 'add', `r1z1-127.0.0.1:${ports[kind]}/sdb1`, '100'], { stdio: 'ignore' });
    // rebalance exits 1 on warnings (such as "fewer devices than replicas"): the ring is written anyway.
    spawnSync('/usr/bin/swift-ring-builder', [builder, 'rebalance'], { stdio: 'ignore' });
    if (!existsSync(join(dir, `${kind}.ring.gz`))) throw new Error(`swift-ring-builder did not write ${kind}.ring.gz`);
    writeFileSync(join(dir, `${kind}-server.conf`), serverConf(dir, kind, ports[kind]!));
  }
  writeFileSync(join(dir, 'proxy-server.conf'), proxyConf(dir, proxy, memcache));
  writeFileSync(
    join(dir, 'creds'),
    `[strata-test]\naws_access_key_id = ${SWIFT_ACCESS_KEY}\naws_secret_access_key = ${SWIFT_SECRET_KEY}\n\n[wrong-secret]\naws_access_key_id = ${SWIFT_ACCESS_KEY}\naws_secret_access_key = not-the-secret\n`,
  );

  const children: ChildProcess[] = [];
  const logPaths: string[] = [];
  const spawnLogged = (name: string, cmd: string, args: string[]): void => {
    const log = join(dir, `${name}.log`);
    logPaths.push(log);
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
    let buf = '';
    const keep = (d: Buffer) => {
      buf += d.toString();
      writeFileSync(log, buf.slice(-20_000));
    };
    c.stdout!.on('data', keep);
    c.stderr!.on('data', keep);
    children.push(c);
  };
  const logs = () => logPaths.map((p) => `--- ${p}\n${existsSync(p) ? readFileSync(p, 'utf8').slice(-2000) : ''}`).join('\n');
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
            setTimeout(() => c.kill('SIGKILL'), 5000).unref();
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const memcachedArgs = ['-l', '127.0.0.1', '-p', String(memcache), '-U', '0', '-m', '16'];
    if (process.getuid?.() === 0) memcachedArgs.push('-u', 'root');
    spawnLogged('memcached', '/usr/bin/memcached', memcachedArgs);
    for (const kind of ['account', 'container', 'object'])
      spawnLogged(kind, PYTHON, [join(dir, 'launch.py'), dir, join(dir, `${kind}-server.conf`), `${kind}-server`]);
    spawnLogged('proxy', PYTHON, [join(dir, 'launch.py'), dir, join(dir, 'proxy-server.conf'), 'proxy-server']);
    for (const kind of ['account', 'container', 'object']) await waitForHttp(`http://127.0.0.1:${ports[kind]}/healthcheck`, children, logs);
    await waitForHttp(`http://127.0.0.1:${proxy}/healthcheck`, children, logs);
  } catch (e) {
    await stop();
    throw e;
  }
  return { endpoint: `http://127.0.0.1:${proxy}`, dir, credsFile: join(dir, 'creds'), stop };
}
