/**
 * The s3:// path against a real S3-compatible server: OpenStack Swift with s3api, started by the
 * test from the Debian packages (signatures, Content-MD5 and multipart ETags as S3 checks them).
 * Skipped, saying why, where Swift cannot run.
 */
import { CreateBucketCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStrata, tempDir, type StrataProcess } from '../helpers/strata-process.js';
import { startSwiftS3, swiftUnavailable, SWIFT_ACCESS_KEY, SWIFT_SECRET_KEY, type SwiftS3 } from '../helpers/swift-s3.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { series, writeV1 } from '../e2e/client.js';
import { cli, startCli, summaryOf } from './cli.js';
import { exportAll, HOUR, ingest } from './helpers.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const why = swiftUnavailable();
const start = Math.floor(Date.now() / HOUR) * HOUR - 6 * HOUR;
const BUCKET = 'strata-backups';
const SLOW = !!process.env.STRATA_SLOW_TESTS;

describe.skipIf(why !== null)(`backup to s3:// on OpenStack Swift${why ? ` (skipped: ${why})` : ''}`, () => {
  let swift: SwiftS3;
  let source: StrataProcess;
  let s3: S3Client;
  let flags: string[];

  beforeAll(async () => {
    swift = await startSwiftS3();
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: swift.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: SWIFT_ACCESS_KEY, secretAccessKey: SWIFT_SECRET_KEY },
    });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    flags = [`-customS3Endpoint=${swift.endpoint}`, `-credsFilePath=${swift.credsFile}`, '-configProfile=strata-test'];
    source = await startStrata();
    await ingest(source.url, { batches: 4, seriesCount: 50, points: 20, start });
  }, 120_000);

  afterAll(async () => {
    s3?.destroy();
    await source?.stop();
    await swift?.stop();
  });

  it('backs up, verifies, restores and serves the same samples', async () => {
    const b = await cli([
      'backup',
      `-storageDataPath=${source.dataDir}`,
      `-snapshot.createURL=${source.url}/snapshot/create`,
      `-dst=s3://${BUCKET}/repo/first`,
      '-progress=json',
      ...flags,
    ]);
    expect(b.stderr).not.toContain('strata:');
    expect(b.code).toBe(0);
    expect(summaryOf(b.stdout).filesTransferred).toBeGreaterThan(3);
    const v = await cli(['verify', `-src=s3://${BUCKET}/repo/first`, '-level=full', ...flags]);
    expect({ code: v.code, stderr: v.stderr }).toEqual({ code: 0, stderr: '' });
    expect(v.stdout).toContain('verify ok');
    const target = tempDir('strata-s3-restore-');
    const r = await cli(['restore', `-src=s3://${BUCKET}/repo/first`, `-storageDataPath=${target}`, ...flags]);
    expect(r.code).toBe(0);
    const restored = await startStrata({ dataDir: target });
    try {
      expect(await exportAll(restored.url)).toEqual(await exportAll(source.url));
    } finally {
      await restored.stop();
    }
  });

  it('a second backup into the same repository reuses the stored files', async () => {
    const b = await cli([
      'backup',
      `-storageDataPath=${source.dataDir}`,
      `-snapshot.createURL=${source.url}/snapshot/create`,
      `-dst=s3://${BUCKET}/repo/second`,
      '-progress=json',
      ...flags,
    ]);
    expect(b.code).toBe(0);
    const s = summaryOf(b.stdout);
    expect(s.bytesReused).toBeGreaterThan(0);
    expect(s.filesTransferred).toBeLessThan(s.files);
    const list = await cli(['backup', 'list', `-dst=s3://${BUCKET}/repo`, ...flags]);
    expect(list.stdout).toMatch(/^first\t.*\tcomplete$/m);
    expect(list.stdout).toMatch(/^second\t.*\tcomplete$/m);
  });

  it("a wrong secret exits 1 with the server's 403", async () => {
    const b = await cli([
      'backup',
      `-storageDataPath=${source.dataDir}`,
      `-snapshot.createURL=${source.url}/snapshot/create`,
      `-dst=s3://${BUCKET}/repo/denied`,
      `-customS3Endpoint=${swift.endpoint}`,
      `-credsFilePath=${swift.credsFile}`,
      '-configProfile=wrong-secret',
    ]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/403 SignatureDoesNotMatch/);
  });

  it('leaves no multipart uploads behind', async () => {
    const open = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
    expect(open.Uploads ?? []).toEqual([]);
  });

  it.skipIf(!SLOW)(
    'a backup killed during a multipart upload resumes; the rerun aborts the upload left open',
    async () => {
      const big = await startStrata({ args: ['--retentionPeriod=5y'] });
      try {
        // ~1.5M random values in one month, merged into one part: a values.bin above the 8 MiB part size.
        const t0 = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 2, 2);
        for (let r = 0; r < 10; r++) {
          const ts = Array.from({ length: 1500 }, (_, i) => t0 + (r * 1500 + i) * 15_000);
          const body = Array.from({ length: 100 }, (_, k) =>
            series(
              'big_metric',
              { k: String(k) },
              ts,
              ts.map(() => Math.random() * 1e9),
            ),
          );
          expect((await writeV1(big.url, body)).status).toBe(204);
        }
        expect((await fetch(`${big.url}/internal/force_merge`)).status).toBe(200);
        const snap = ((await (await fetch(`${big.url}/snapshot/create`)).json()) as { snapshot: string }).snapshot;
        const info = JSON.parse(readFileSync(join(big.dataDir, 'snapshots', snap, 'snapshot.json'), 'utf8')) as { files: { size: number }[] };
        expect(Math.max(...info.files.map((f) => f.size))).toBeGreaterThan(8 << 20);

        const args = [
          'backup',
          `-storageDataPath=${big.dataDir}`,
          `-snapshotName=${snap}`,
          `-dst=s3://${BUCKET}/big/b`,
          '-concurrency=1',
          '-progress=json',
          ...flags,
        ];
        const first = startCli([...args, '-maxBytesPerSecond=2MB']);
        const deadline = Date.now() + 60_000;
        let open = 0;
        while (open === 0 && Date.now() < deadline && first.child.exitCode === null) {
          await new Promise((r) => setTimeout(r, 200));
          open = (await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }))).Uploads?.length ?? 0;
        }
        // lib-storage opens the upload once a first 8 MiB part is buffered; at 2 MB/s the rest takes
        // seconds more, so killing now leaves it open.
        first.child.kill('SIGKILL');
        await first.done;
        expect(open).toBeGreaterThan(0);
        expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }))).Uploads?.length ?? 0).toBeGreaterThan(0);

        const rerun = await cli(args);
        expect(rerun.stderr).not.toContain('strata:');
        expect(rerun.code).toBe(0);
        expect(summaryOf(rerun.stdout).bytesReused).toBeGreaterThan(0);
        expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }))).Uploads ?? []).toEqual([]);
        const v = await cli(['verify', `-src=s3://${BUCKET}/big/b`, '-level=full', ...flags]);
        expect(v.code).toBe(0);
      } finally {
        await big.stop();
      }
    },
    300_000,
  );
});
