#!/usr/bin/env node
/** `strata serve | ...`: the command line. Flag definitions live in config.ts. */
import { Command, CommanderError, Option } from 'commander';
import { FLAGS, FlagError, buildConfig, flagValues, type FlagValue } from './config.js';
import { DataDirLockedError } from './runtime/index.js';
import { BACKUP_FLAG_NAMES, registerBackupCommands } from './backup/index.js';
import { log } from './logger.js';
import { manifest } from './version.js';

const FLAG_NAMES = new Set<string>([...FLAGS.map((f) => f.flag), ...BACKUP_FLAG_NAMES]);

/** VictoriaMetrics users write `-retentionPeriod=1y`; accept the single-dash spelling for our flags. */
function normaliseArgv(argv: readonly string[]): string[] {
  return argv.map((a) => {
    const m = /^-([a-zA-Z][\w.]*)(=.*)?$/.exec(a);
    return m && FLAG_NAMES.has(m[1]!) ? '-' + a : a;
  });
}

function usageError(message: string): never {
  process.stderr.write(
    'strata: ' +
      message
        .replace(/^error: /, '')
        .split('\n')[0]!
        .trim() +
      '\n',
  );
  process.exit(2);
}

function addServeFlags(cmd: Command): void {
  for (const f of FLAGS) {
    const opt = f.arg === 'bool' ? new Option(`--${f.flag} [${f.arg}]`, f.help) : new Option(`--${f.flag} <${f.arg}>`, f.help);
    if ('repeatable' in f && f.repeatable) cmd.addOption(opt.argParser((v: string, prev: readonly string[] | undefined) => [...(prev ?? []), v]));
    else cmd.addOption(opt.default(f.default));
  }
}

async function serve(values: Record<string, FlagValue>): Promise<void> {
  let config;
  try {
    config = buildConfig(values);
  } catch (e) {
    if (e instanceof FlagError) usageError(e.message);
    throw e;
  }
  // Handlers go in before startup so a signal during WAL replay or listen is not fatal.
  let stop: (() => Promise<void>) | null = null;
  let signalled: NodeJS.Signals | null = null;
  const shutdown = (sig: NodeJS.Signals) => {
    log.info('shutting down', { signal: sig });
    const hard = setTimeout(() => {
      log.error('shutdown took longer than 10s; exiting anyway');
      process.exit(1);
    }, 9500);
    stop!().then(
      () => {
        clearTimeout(hard);
        process.exit(0);
      },
      (e: unknown) => {
        log.error('shutdown failed', { error: (e as Error).message });
        process.exit(1);
      },
    );
  };
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) return;
    signalled = sig;
    if (stop) shutdown(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    // Loaded here, not at the top: the backup commands need none of the server.
    const { startApp } = await import('./app/app.js');
    const app = await startApp(config, flagValues(values));
    stop = () => app.stop();
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    log.fatal(e instanceof DataDirLockedError ? msg : `cannot start: ${msg}`);
    process.stderr.write(`strata: ${msg}\n`);
    process.exit(1);
  }
  if (signalled) shutdown(signalled);
}

function main(): void {
  const program = new Command('strata')
    .description('Strata: a single-node time-series database and long-term store for Prometheus')
    .version(manifest.version)
    .exitOverride()
    .enablePositionalOptions()
    .showHelpAfterError(false)
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: () => undefined });

  const serveCmd = program.command('serve').description('run the server (remote write, PromQL API, UI)');
  addServeFlags(serveCmd);
  serveCmd.exitOverride().configureOutput({ outputError: () => undefined });
  serveCmd.action((opts: Record<string, FlagValue>) => serve(opts));

  registerBackupCommands(program);
  program
    .command('index')
    .description('label index maintenance')
    .command('rebuild')
    .description("recreate index/ from what survives of it and the parts' series tables (labels.bin); run with the server stopped")
    .requiredOption('--storageDataPath <dir>', 'the data directory')
    .action(async (o: { storageDataPath: string }) => {
      const { rebuildIndex } = await import('./app/index-rebuild.js');
      try {
        const r = await rebuildIndex(o.storageDataPath, (line) => process.stdout.write(line + '\n'));
        process.stdout.write(
          `index rebuilt: ${r.series} series (${r.fromIndex} from the old index, ${r.fromParts} from parts), ${r.days} days of postings${r.lost > 0 ? `; ${r.lost} series with samples but no labels anywhere stay unreachable` : ''}\n`,
        );
      } catch (e) {
        process.stderr.write(`strata: index rebuild failed: ${(e as Error).message}\n`);
        process.exit(1);
      }
    });
  const exitOverride = (c: Command): void => {
    c.exitOverride().configureOutput({ outputError: () => undefined });
    c.commands.forEach(exitOverride);
  };
  program.commands.forEach(exitOverride);

  const flagHelp = FLAGS.map((f) => `  --${f.flag.padEnd(28)} ${f.help} (default: ${JSON.stringify(f.default)})`).join('\n');
  program.addHelpText('after', `\nFlags of 'strata serve':\n${flagHelp}\n`);

  program.parseAsync(normaliseArgv(process.argv)).catch((e: unknown) => {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') process.exit(0);
      usageError(e.message);
    }
    throw e;
  });
}

main();
