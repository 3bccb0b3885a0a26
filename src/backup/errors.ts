/**
 * Failures of the backup commands, each with the exit code scripts can act on:
 * 1 I/O or network (a rerun resumes), 2 usage, 3 integrity failure, 4 refused for safety.
 */
export class BackupError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 | 3 | 4,
  ) {
    super(message);
  }
}

export class UsageError extends BackupError {
  constructor(message: string) {
    super(message, 2);
  }
}

export class TransferError extends BackupError {
  constructor(message: string) {
    super(message, 1);
  }
}

export class IntegrityError extends BackupError {
  constructor(message: string) {
    super(message, 3);
  }
}

export class RefusedError extends BackupError {
  constructor(message: string) {
    super(message, 4);
  }
}

/** Any error as the exit code it stands for: unknown errors are I/O (a rerun may succeed). */
export function exitCodeOf(e: unknown): 1 | 2 | 3 | 4 {
  return e instanceof BackupError ? e.exitCode : 1;
}
