/**
 * Backup URLs. `-dst`/`-src` name one backup: its last path segment is the backup's name and the
 * rest is the repository, whose content-addressed objects all its backups share
 * (`fs:///backups/latest` and `fs:///backups/2024-05-01` dedupe against each other). Repository
 * commands (`backup list|prune|gc`) take the repository URL itself.
 */
import { isAbsolute, normalize } from 'node:path';
import type { Destination } from './destination.js';
import { UsageError } from './errors.js';
import { FsDestination } from './fs.js';

export interface S3Flags {
  readonly customS3Endpoint?: string;
  readonly s3ForcePathStyle: boolean;
  readonly s3Region?: string;
  readonly credsFilePath?: string;
  readonly configFilePath?: string;
  readonly configProfile?: string;
}

/** Reserved: the repository's object store. */
export const OBJECTS_DIR = 'objects';
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

interface Parsed {
  scheme: 'fs' | 's3';
  /** fs: absolute path; s3: bucket. */
  root: string;
  /** Path segments after the root. */
  segments: string[];
}

function parse(url: string, flag: string): Parsed {
  const m = /^(fs|s3):\/\/(.*)$/.exec(url);
  if (!m) throw new UsageError(`-${flag}=${JSON.stringify(url)}: want fs:///absolute/path or s3://bucket/prefix`);
  const rest = m[2]!;
  if (m[1] === 'fs') {
    if (!isAbsolute(rest)) throw new UsageError(`-${flag}=${JSON.stringify(url)}: an fs:// path must be absolute (fs:///backups/name)`);
    const segments = normalize(rest)
      .split('/')
      .filter((s) => s !== '');
    return { scheme: 'fs', root: '/', segments };
  }
  const [bucket, ...segments] = rest.split('/').filter((s) => s !== '');
  if (!bucket) throw new UsageError(`-${flag}=${JSON.stringify(url)}: no bucket named`);
  return { scheme: 's3', root: bucket, segments };
}

async function open(p: Parsed, segments: string[], s3: S3Flags): Promise<Destination> {
  if (p.scheme === 'fs') return new FsDestination('/' + segments.join('/'));
  // The AWS SDK takes a while to load; fs:// runs never need it.
  const { S3Destination } = await import('./s3.js');
  return new S3Destination({
    bucket: p.root,
    prefix: segments.join('/'),
    endpoint: s3.customS3Endpoint,
    forcePathStyle: s3.s3ForcePathStyle,
    region: s3.s3Region,
    credsFilePath: s3.credsFilePath,
    configFilePath: s3.configFilePath,
    profile: s3.configProfile,
  });
}

/** A backup URL: the repository it lives in and its name there. */
export async function openBackup(url: string, flag: string, s3: S3Flags): Promise<{ repo: Destination; name: string }> {
  const p = parse(url, flag);
  const name = p.segments.at(-1);
  if (!name || !NAME_RE.test(name) || name === OBJECTS_DIR) {
    throw new UsageError(
      `-${flag}=${JSON.stringify(url)}: the last path segment names the backup (letters, digits, . _ -; not "${OBJECTS_DIR}"), e.g. ${p.scheme}://${p.scheme === 'fs' ? '/backups' : 'bucket'}/latest`,
    );
  }
  if (p.scheme === 'fs' && p.segments.length < 2)
    throw new UsageError(`-${flag}=${JSON.stringify(url)}: put backups in a directory of their own (fs:///backups/${name})`);
  return { repo: await open(p, p.segments.slice(0, -1), s3), name };
}

/** A repository URL. */
export async function openRepository(url: string, flag: string, s3: S3Flags): Promise<Destination> {
  const p = parse(url, flag);
  return open(p, p.segments, s3);
}
