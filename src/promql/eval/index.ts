export { Evaluator, type EvaluatorOptions, parseGoFloat } from './evaluator.js';
export { Annotations, type Annotation, formatAnnotation, positionString } from './annotations.js';
export { PromQLError, type PromQLErrorType } from './errors.js';
export { planSelectors, fetchSelectors, type FetchedData } from './fetch.js';
export { stepRange, subqueryRange, subqueryBounds, type StepRange } from './steps.js';
export { atMs, durationMs, type QueryBounds } from '../duration.js';
export type { EvalValue, StepSeries, RangeSeries, MatrixValue, VectorValue, ScalarValue, StringValue } from './types.js';
export { typeOf } from './types-of.js';
