/** Base class of every error the storage engine raises on purpose. */
export class StorageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The caller handed append() something that cannot be stored (bad count, NaN timestamp, bad id). */
export class InvalidRowsError extends StorageError {}

/** A part on disk does not match its own metadata (checksum, size, format version). */
export class PartCorruptError extends StorageError {
  constructor(
    readonly partPath: string,
    reason: string,
  ) {
    super(`part ${partPath} is corrupt: ${reason}`);
  }
}

/** The storage was used after close(), or opened twice on one directory. */
export class StorageClosedError extends StorageError {}

/**
 * One block of a part does not match its checksum or does not decode. The rest of the part is
 * fine: readers skip the block and report it instead of taking the whole part out of service.
 */
export class BlockCorruptError extends PartCorruptError {
  constructor(
    partPath: string,
    readonly seriesId: number,
    readonly minT: number,
    readonly maxT: number,
    readonly reason: string,
  ) {
    super(partPath, reason);
  }
}
