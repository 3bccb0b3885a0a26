/**
 * Where backups live: a key → bytes store with the few operations backups need, so the
 * repository logic is the same for a directory and an S3 bucket. Keys are `/`-separated and
 * relative to the destination's root; a put is atomic (a reader never sees half an object).
 */
import type { Readable } from 'node:stream';

export interface StoredObject {
  readonly key: string;
  readonly size: number;
}

export interface Destination {
  /** `fs:///abs/path` or `s3://bucket/prefix`, for messages. */
  readonly url: string;
  /** Every object whose key starts with `prefix`. */
  list(prefix: string): Promise<StoredObject[]>;
  /** Size of the object, or null when there is none. */
  size(key: string): Promise<number | null>;
  read(key: string): Promise<Readable>;
  /** The whole object, or null when there is none. */
  readSmall(key: string): Promise<Buffer | null>;
  /** Stores `body` (exactly `size` bytes) under `key`; visible only once complete. */
  write(key: string, body: Readable | Buffer, size: number): Promise<void>;
  delete(keys: readonly string[]): Promise<void>;
  /** Removes what interrupted writes left behind (temporary files, multipart uploads); returns how many. */
  cleanupIncomplete(): Promise<number>;
  close(): void;
}
