export { aggregate, type AggregateSpec } from './aggregate.js';
