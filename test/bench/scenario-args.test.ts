import { describe, expect, it } from 'vitest';
import { parseScenarioArgs } from '../../bench/scenario-args.js';

describe('parseScenarioArgs', () => {
  const defaults = { series: 1000, points: 500, targets: ['strata', 'vm'] };

  it('keeps the defaults for what is not given', () => {
    expect(parseScenarioArgs([], defaults)).toEqual(defaults);
  });

  it('reads numbers and comma-separated lists by the type of their default', () => {
    expect(parseScenarioArgs(['--series=20', '--targets=prom,strata'], defaults)).toEqual({ series: 20, points: 500, targets: ['prom', 'strata'] });
  });

  it('refuses a key it does not know', () => {
    expect(() => parseScenarioArgs(['--hours=3'], defaults)).toThrow('unknown argument --hours=3');
  });
});
