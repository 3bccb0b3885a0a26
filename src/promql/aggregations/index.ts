export { aggregate, type AggregateSpec } from './aggregate.js';
export { formatGoFloat } from './format.js';
