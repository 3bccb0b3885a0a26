import { it } from 'vitest';
import { Engine } from '../../src/promql/engine.js';
import { MemoryQuerier } from './memory-querier.js';
import { runScript } from './script-runner.js';
it('dbg', async () => {
  const script = `load 1m
  mixed {{sum:6 count:5 buckets:[2 2 1]}}+{{sum:2 count:3 buckets:[1 1 1]}}x4 {{sum:4 count:4 counter_reset_hint:gauge buckets:[1 2 1]}} {{sum:6 count:5 buckets:[2 2 1]}}+{{sum:2 count:3 buckets:[1 1 1]}}x4 {{sum:4 count:4 buckets:[1 2 1]}}+{{sum:2 count:3 buckets:[1 1 1]}}x5

eval instant at 14m histogram_count(avg_over_time(mixed[10m]))
  expect warn
  {} 9.3

eval instant at 14m histogram_count(sum_over_time(mixed[10m]))
  expect warn
  {} 93
`;
  const r = await runScript('x.test', script, new Engine(), { atVariants: true, rangeCheck: true });
  console.log(JSON.stringify(r.outcomes, null, 1));
});
