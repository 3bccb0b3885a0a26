export { decodeExportRequestProto } from './proto-decode.js';
export { decodeExportRequestJson } from './json-decode.js';
export { translateExportRequest, DEFAULT_OTLP_OPTIONS, type OtlpOptions, type Translation, type NativeHistogramSample } from './translate.js';
export { exponentialToFloatHistogram, ExponentialHistogramError, type ExponentialInput } from './exponential.js';
export { metricName, labelName, unitName, TRANSLATION_STRATEGIES, type TranslationStrategy, type NamingType } from './names.js';
export { encodeExportResponse, encodeStatus, OTLP_CONTENT_TYPES, type OtlpEncoding, type PartialSuccess } from './response.js';
export type * from './model.js';
export { renderAnyValue, type RawValue } from './any-value.js';
