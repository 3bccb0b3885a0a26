/**
 * A request that cannot be ingested at all. `status` is the HTTP status the server should answer
 * with; the message is written for the client (it ends up in the response body), so it names the
 * offending series, label, line or byte offset.
 */
export type IngestErrorStatus = 400 | 413 | 415;

export class IngestError extends Error {
  readonly status: IngestErrorStatus;
  constructor(status: IngestErrorStatus, message: string) {
    super(message);
    this.name = 'IngestError';
    this.status = status;
  }
}
