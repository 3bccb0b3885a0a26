/**
 * The `--key=value` arguments of the single-scenario bench modes (forward, remote-read,
 * histograms, lifecycle): each key must be one of `defaults`, and takes its type from it
 * (a number, or a comma-separated list).
 */
export function parseScenarioArgs<T extends { [K in keyof T]: number | string[] }>(argv: readonly string[], defaults: T): T {
  const known: Readonly<Record<string, number | string[]>> = defaults;
  const a: Record<string, number | string[]> = { ...known };
  for (const arg of argv) {
    const [k = '', v = ''] = arg.replace(/^--/, '').split('=');
    const d = known[k];
    if (d === undefined) throw new Error(`unknown argument ${arg}`);
    a[k] = Array.isArray(d) ? v.split(',') : Number(v);
  }
  return a as T;
}
