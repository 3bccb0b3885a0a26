/**
 * Entry point of the storage worker thread: runs flush and merge jobs (see jobs.ts) off the main
 * thread so ingestion and queries never wait for encoding or merging.
 */
import { parentPort } from 'node:worker_threads';
import { type Job, runJob } from './jobs.js';

interface Request {
  id: number;
  job: Job;
}

const port = parentPort;
if (port) {
  port.on('message', (req: Request) => {
    runJob(req.job).then(
      (result) => port.postMessage({ id: req.id, ok: true, result }),
      (err: unknown) => {
        const e = err as Error;
        port.postMessage({ id: req.id, ok: false, error: { name: e?.name ?? 'Error', message: e?.message ?? String(err) } });
      },
    );
  });
}
