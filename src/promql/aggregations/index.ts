export { aggregate, AggregateAccumulator, FOLDING_AGGREGATIONS, type AggregateSpec } from './aggregate.js';
