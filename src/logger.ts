/** Structured logs: one JSON object per line on stderr, filtered by --loggerLevel. */
/** `--loggerLevel`: the least severe level written. */
export type LogLevel = 'INFO' | 'WARN' | 'ERROR' | 'FATAL' | 'PANIC';

const ORDER: Record<LogLevel, number> = { INFO: 0, WARN: 1, ERROR: 2, FATAL: 3, PANIC: 4 };
let threshold = ORDER.INFO;

export function setLogLevel(level: LogLevel): void {
  threshold = ORDER[level];
}

export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

function write(level: LogLevel, msg: string, fields?: LogFields): void {
  if (ORDER[level] < threshold) return;
  const line = JSON.stringify({ ts: new Date().toISOString(), level: level.toLowerCase(), msg, ...fields });
  process.stderr.write(line + '\n');
}

export const log = {
  info: (msg: string, fields?: LogFields) => write('INFO', msg, fields),
  warn: (msg: string, fields?: LogFields) => write('WARN', msg, fields),
  error: (msg: string, fields?: LogFields) => write('ERROR', msg, fields),
  fatal: (msg: string, fields?: LogFields) => write('FATAL', msg, fields),
};
