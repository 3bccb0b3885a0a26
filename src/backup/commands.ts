/**
 * The backup command line: `strata snapshot …`, `strata backup [list|prune|lock|unlock|gc]`,
 * `strata restore`, `strata verify`, with vmbackup/vmrestore's flag names (one dash works too).
 * Exit codes: 0 ok, 1 I/O or network, 2 usage, 3 integrity failure, 4 refused for safety.
 */
import { Command, Option } from 'commander';
import { parseSize } from '../config.js';
import { exitCodeOf, UsageError } from './errors.js';
import type { S3Flags } from './location.js';
import type { ProgressMode } from './progress.js';
import { checkUrl, SnapshotClient } from './snapshot-client.js';
import type { VerifyLevel } from './verify.js';

type Opts = Record<string, string | boolean | undefined>;

// Each command loads only what it runs: process start is part of every backup's wall time, and
// the S3 SDK, LMDB and the storage engine take most of a second to load on a busy machine.
const backupModule = () => import('./backup.js');
const restoreModule = () => import('./restore.js');
const verifyModule = () => import('./verify.js');
const repoModule = () => import('./repo-commands.js');

/** Every long flag these commands define, for the single-dash spelling. */
export const BACKUP_FLAG_NAMES: readonly string[] = [
  'storageDataPath',
  'snapshot.createURL',
  'snapshotName',
  'dst',
  'src',
  'origin',
  'concurrency',
  'maxBytesPerSecond',
  'progress',
  'skipBackupCompleteCheck',
  'force',
  'level',
  'keepLastHourly',
  'keepLastDaily',
  'keepLastWeekly',
  'keepLastMonthly',
  'dryRun',
  'customS3Endpoint',
  's3ForcePathStyle',
  's3Region',
  'credsFilePath',
  'configFilePath',
  'configProfile',
  'url',
  'authKey',
];

function str(o: Opts, k: string): string | undefined {
  const v = o[k];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function need(o: Opts, k: string): string {
  const v = str(o, k);
  if (v === undefined) throw new UsageError(`flag -${k} is required`);
  return v;
}

function bool(o: Opts, k: string, dflt = false): boolean {
  const v = o[k];
  if (v === undefined) return dflt;
  if (v === true) return true;
  if (/^(true|1|yes)$/i.test(String(v))) return true;
  if (/^(false|0|no)$/i.test(String(v))) return false;
  throw new UsageError(`invalid value ${JSON.stringify(v)} for flag -${k}: want true or false`);
}

function int(o: Opts, k: string, dflt: number, min = 0): number {
  const v = o[k];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`invalid value ${JSON.stringify(v)} for flag -${k}: want an integer >= ${min}`);
  return n;
}

function size(o: Opts, k: string): number {
  const v = str(o, k);
  if (v === undefined) return 0;
  try {
    return parseSize(v);
  } catch (e) {
    throw new UsageError(`invalid value ${JSON.stringify(v)} for flag -${k}: ${(e as Error).message}`);
  }
}

function progress(o: Opts): ProgressMode {
  const v = str(o, 'progress') ?? 'auto';
  if (!['auto', 'bar', 'json', 'none'].includes(v)) throw new UsageError(`invalid value ${JSON.stringify(v)} for flag -progress: want auto, bar, json or none`);
  return v as ProgressMode;
}

function s3Flags(o: Opts): S3Flags {
  return {
    customS3Endpoint: str(o, 'customS3Endpoint'),
    s3ForcePathStyle: bool(o, 's3ForcePathStyle', true),
    s3Region: str(o, 's3Region'),
    credsFilePath: str(o, 'credsFilePath'),
    configFilePath: str(o, 'configFilePath'),
    configProfile: str(o, 'configProfile'),
  };
}

function addS3(cmd: Command): Command {
  return cmd
    .option('--customS3Endpoint <url>', 'S3-compatible endpoint (MinIO, Ceph, Swift s3api, …)')
    .addOption(new Option('--s3ForcePathStyle [bool]', 'path-style bucket addressing (default true)'))
    .option('--s3Region <region>', 'S3 region (default $AWS_REGION or us-east-1)')
    .option('--credsFilePath <file>', 'AWS shared credentials file')
    .option('--configFilePath <file>', 'AWS config file')
    .option('--configProfile <name>', 'profile in those files');
}

function addTransfer(cmd: Command): Command {
  return cmd
    .option('--concurrency <n>', 'files transferred at once', '4')
    .option('--maxBytesPerSecond <size>', 'limit on the transfer rate (e.g. 50MB); 0 = none', '0')
    .option('--progress <mode>', 'auto (bar on a terminal, else JSON lines) | bar | json | none', 'auto');
}

/** Runs a command body and exits with its code, printing a failure as one line on stderr. */
function act(body: (o: Opts, cmd: Command) => Promise<void>): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const cmd = args.at(-1) as Command;
    // Should the work ever stall with nothing left to wait on, Node exits: that must not read as success.
    process.exitCode = 1;
    try {
      await body(cmd.opts<Opts>(), cmd);
      process.exitCode = 0;
    } catch (e) {
      process.stderr.write(`strata: ${(e as Error).message}\n`);
      process.exit(exitCodeOf(e));
    }
  };
}

function keepRules(o: Opts) {
  return { hourly: int(o, 'keepLastHourly', 0), daily: int(o, 'keepLastDaily', 0), weekly: int(o, 'keepLastWeekly', 0), monthly: int(o, 'keepLastMonthly', 0) };
}

export function registerBackupCommands(program: Command): void {
  const snapshot = program.command('snapshot').description("create, list and delete snapshots through a running server's API");
  const server = (c: Command) => c.option('--url <url>', 'the server', 'http://127.0.0.1:8428').option('--authKey <key>', 'its --adminAuthKey');
  const client = (o: Opts) => {
    const u = new URL(checkUrl(str(o, 'url') ?? 'http://127.0.0.1:8428', 'url'));
    if (str(o, 'authKey')) u.searchParams.set('authKey', str(o, 'authKey')!);
    return new SnapshotClient(u.toString());
  };
  server(snapshot.command('create').description('take a snapshot; prints its name')).action(
    act(async (o) => void process.stdout.write((await client(o).create()) + '\n')),
  );
  server(snapshot.command('list').description('print the snapshots, oldest first')).action(
    act(async (o) => void process.stdout.write((await client(o).list()).map((n) => n + '\n').join(''))),
  );
  server(snapshot.command('delete').argument('<name>').description('delete one snapshot')).action(act(async (o, cmd) => client(o).delete(cmd.args[0]!)));
  server(snapshot.command('delete-all').description('delete every snapshot')).action(act(async (o) => client(o).deleteAll()));

  const backup = addS3(addTransfer(program.command('backup')))
    .description('back a snapshot up to fs:///path/NAME or s3://bucket/prefix/NAME (subcommands: list, prune, lock, unlock, gc)')
    .enablePositionalOptions()
    .option('--storageDataPath <dir>', 'the data directory holding the snapshot')
    .option('--snapshot.createURL <url>', 'take a fresh snapshot through this server URL (…/snapshot/create), deleted afterwards')
    .option('--snapshotName <name>', 'back up this existing snapshot')
    .option('--dst <url>', 'where the backup goes')
    .option('--origin <url>', 'accepted for vmbackup compatibility: deduplication is always on within a repository');
  backup.action(
    act(async (o, cmd) => {
      if (cmd.args.length > 0) throw new UsageError(`unknown backup subcommand ${JSON.stringify(cmd.args[0])}: want list, prune, lock, unlock or gc`);
      const fakeNow = process.env.STRATA_BACKUP_TIME;
      const { runBackup } = await backupModule();
      await runBackup({
        storageDataPath: need(o, 'storageDataPath'),
        snapshotCreateURL: str(o, 'snapshot.createURL') && checkUrl(str(o, 'snapshot.createURL')!, 'snapshot.createURL'),
        snapshotName: str(o, 'snapshotName'),
        dst: need(o, 'dst'),
        origin: str(o, 'origin'),
        concurrency: int(o, 'concurrency', 4, 1),
        maxBytesPerSecond: size(o, 'maxBytesPerSecond'),
        progress: progress(o),
        s3: s3Flags(o),
        now: fakeNow ? new Date(fakeNow) : undefined,
      });
    }),
  );
  addS3(backup.command('list').description('list the backups in a repository').option('--dst <url>', 'the repository')).action(
    act(async (o) => (await repoModule()).listBackups(need(o, 'dst'), s3Flags(o))),
  );
  addS3(
    backup
      .command('prune')
      .description('delete backups no -keepLast* rule keeps (locked and incomplete ones stay); then run gc')
      .option('--dst <url>', 'the repository')
      .option('--keepLastHourly <n>')
      .option('--keepLastDaily <n>')
      .option('--keepLastWeekly <n>')
      .option('--keepLastMonthly <n>')
      .addOption(new Option('--dryRun [bool]', 'only print what would be deleted')),
  ).action(act(async (o) => void (await (await repoModule()).pruneBackups(need(o, 'dst'), keepRules(o), bool(o, 'dryRun'), s3Flags(o)))));
  addS3(backup.command('lock').description('protect a backup from prune').option('--dst <url>', 'the backup')).action(
    act(async (o) => (await repoModule()).setLock(need(o, 'dst'), true, s3Flags(o))),
  );
  addS3(backup.command('unlock').description('let prune delete a backup again').option('--dst <url>', 'the backup')).action(
    act(async (o) => (await repoModule()).setLock(need(o, 'dst'), false, s3Flags(o))),
  );
  addS3(
    backup
      .command('gc')
      .description('delete stored files no backup references')
      .option('--dst <url>', 'the repository')
      .addOption(new Option('--dryRun [bool]', 'only count')),
  ).action(act(async (o) => void (await (await repoModule()).gcRepository(need(o, 'dst'), bool(o, 'dryRun'), s3Flags(o)))));

  addS3(addTransfer(program.command('restore')))
    .description('restore a backup into a data directory (the server must be stopped)')
    .option('--src <url>', 'the backup')
    .option('--storageDataPath <dir>', 'the data directory to restore into')
    .addOption(new Option('--skipBackupCompleteCheck [bool]', 'restore even without backup_complete.ignore'))
    .addOption(new Option('--force [bool]', 'replace the contents of a non-empty directory'))
    .action(
      act(async (o) => {
        const { runRestore } = await restoreModule();
        await runRestore({
          src: need(o, 'src'),
          storageDataPath: need(o, 'storageDataPath'),
          skipBackupCompleteCheck: bool(o, 'skipBackupCompleteCheck'),
          force: bool(o, 'force'),
          concurrency: int(o, 'concurrency', 4, 1),
          maxBytesPerSecond: size(o, 'maxBytesPerSecond'),
          progress: progress(o),
          s3: s3Flags(o),
        });
      }),
    );

  addS3(program.command('verify'))
    .description('check a backup (-src) or a data directory (-storageDataPath, also while a server runs on it)')
    .option('--src <url>', 'the backup')
    .option('--storageDataPath <dir>', 'a data directory')
    .option('--snapshotName <name>', 'with -storageDataPath: check this snapshot against its snapshot.json')
    .option('--level <level>', 'quick (presence and sizes) | full (rehash, part headers, index)', 'quick')
    .option('--concurrency <n>', 'files checked at once', '4')
    .action(
      act(async (o) => {
        const level = str(o, 'level') ?? 'quick';
        if (level !== 'quick' && level !== 'full') throw new UsageError(`invalid value ${JSON.stringify(level)} for flag -level: want quick or full`);
        const { runVerify } = await verifyModule();
        await runVerify({
          src: str(o, 'src'),
          storageDataPath: str(o, 'storageDataPath'),
          snapshotName: str(o, 'snapshotName'),
          level: level as VerifyLevel,
          concurrency: int(o, 'concurrency', 4, 1),
          s3: s3Flags(o),
        });
      }),
    );
}
