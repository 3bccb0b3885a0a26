/**
 * A destination in an S3 bucket (`s3://bucket/prefix`), through the AWS SDK: single PUTs for
 * small objects and multipart uploads (lib-storage) for big ones, aborted on failure. Works with
 * S3-compatible servers: `-customS3Endpoint`, path-style addressing, and the SDK's checksum
 * headers sent only when an operation requires them (many compatible servers reject the rest).
 */
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import type { Destination, StoredObject } from './destination.js';
import { BackupError, TransferError } from './errors.js';

export interface S3Options {
  readonly bucket: string;
  /** Key prefix inside the bucket, without leading or trailing `/` ('' for the bucket root). */
  readonly prefix: string;
  readonly endpoint?: string;
  readonly forcePathStyle: boolean;
  readonly region?: string;
  /** AWS credentials file (`-credsFilePath`), config file (`-configFilePath`) and profile (`-configProfile`). */
  readonly credsFilePath?: string;
  readonly configFilePath?: string;
  readonly profile?: string;
}

/** Parts of multipart uploads; objects below this go up in one PUT. */
const PART_SIZE = 8 << 20;

interface SdkError {
  name?: string;
  message?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

function s3Error(op: string, where: string, e: unknown): BackupError {
  if (e instanceof BackupError) return e;
  const err = e as SdkError;
  const status = err.$metadata?.httpStatusCode;
  const code = err.Code ?? err.name ?? 'Error';
  return new TransferError(`S3 ${op} ${where}: ${status !== undefined ? `${status} ` : ''}${code}: ${err.message ?? String(e)}`);
}

function isNotFound(e: unknown): boolean {
  const err = e as SdkError;
  return err.$metadata?.httpStatusCode === 404 || err.name === 'NoSuchKey' || err.name === 'NotFound';
}

export class S3Destination implements Destination {
  readonly url: string;
  private readonly client: S3Client;

  constructor(private readonly o: S3Options) {
    this.url = `s3://${o.bucket}${o.prefix ? '/' + o.prefix : ''}`;
    // The SDK's default chain reads these files and this profile (environment credentials first).
    if (o.credsFilePath) process.env.AWS_SHARED_CREDENTIALS_FILE = o.credsFilePath;
    if (o.configFilePath) process.env.AWS_CONFIG_FILE = o.configFilePath;
    if (o.profile) process.env.AWS_PROFILE = o.profile;
    // The SDK warns on stderr that its 2027 releases will need Node 22; the locked version runs on 20.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new S3Client({
      region: o.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      endpoint: o.endpoint || undefined,
      forcePathStyle: o.forcePathStyle,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
    });
  }

  private key(k: string): string {
    return this.o.prefix ? `${this.o.prefix}/${k}` : k;
  }

  private where(k: string): string {
    return `s3://${this.o.bucket}/${this.key(k)}`;
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    const strip = this.o.prefix ? this.o.prefix.length + 1 : 0;
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.o.bucket, Prefix: this.key(prefix), ContinuationToken: token }));
      } catch (e) {
        throw s3Error('ListObjectsV2', this.where(prefix), e);
      }
      for (const c of page.Contents ?? []) if (c.Key) out.push({ key: c.Key.slice(strip), size: c.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async size(key: string): Promise<number | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.o.bucket, Key: this.key(key) }));
      return r.ContentLength ?? 0;
    } catch (e) {
      if (isNotFound(e)) return null;
      throw s3Error('HeadObject', this.where(key), e);
    }
  }

  async read(key: string): Promise<Readable> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: this.key(key) }));
      return r.Body as Readable;
    } catch (e) {
      throw s3Error('GetObject', this.where(key), e);
    }
  }

  async readSmall(key: string): Promise<Buffer | null> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: this.key(key) }));
      return Buffer.from(await r.Body!.transformToByteArray());
    } catch (e) {
      if (isNotFound(e)) return null;
      throw s3Error('GetObject', this.where(key), e);
    }
  }

  async write(key: string, body: Readable | Buffer, size: number): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.o.bucket, Key: this.key(key), Body: body, ContentLength: size },
      partSize: PART_SIZE,
      queueSize: 2,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (e) {
      // A stream error (say, a hash mismatch) surfaces wrapped or as is; keep its exit code.
      if (!Buffer.isBuffer(body) && body.errored instanceof BackupError) throw body.errored;
      throw s3Error('PutObject', this.where(key), e);
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    // One DELETE each: multi-object delete needs Content-MD5, which some compatible servers want
    // and the SDK no longer sends.
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < keys.length) {
        const k = keys[next++]!;
        try {
          await this.client.send(new DeleteObjectCommand({ Bucket: this.o.bucket, Key: this.key(k) }));
        } catch (e) {
          if (!isNotFound(e)) throw s3Error('DeleteObject', this.where(k), e);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, keys.length) }, worker));
  }

  async cleanupIncomplete(): Promise<number> {
    let n = 0;
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    for (;;) {
      let page;
      try {
        page = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.o.bucket,
            Prefix: this.o.prefix ? this.o.prefix + '/' : undefined,
            KeyMarker: keyMarker,
            UploadIdMarker: idMarker,
          }),
        );
      } catch (e) {
        throw s3Error('ListMultipartUploads', this.url, e);
      }
      for (const u of page.Uploads ?? []) {
        try {
          await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.o.bucket, Key: u.Key, UploadId: u.UploadId }));
          n++;
        } catch (e) {
          if (!isNotFound(e)) throw s3Error('AbortMultipartUpload', `s3://${this.o.bucket}/${u.Key}`, e);
        }
      }
      if (!page.IsTruncated) return n;
      keyMarker = page.NextKeyMarker;
      idMarker = page.NextUploadIdMarker;
    }
  }

  /** Open multipart uploads under the prefix (tests check none are left behind). */
  async incompleteUploads(): Promise<number> {
    const page = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.o.bucket, Prefix: this.o.prefix ? this.o.prefix + '/' : undefined }));
    return page.Uploads?.length ?? 0;
  }

  close(): void {
    this.client.destroy();
  }
}
