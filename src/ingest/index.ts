export { IngestError, type IngestErrorStatus } from './errors.js';
export { DEFAULT_LIMITS, resolveLimits, type IngestLimits } from './limits.js';
export {
  ColumnBatch,
  BatchBuilder,
  type DecodedBatch,
  type BatchData,
  type HistogramBatchRows,
  type DroppedStats,
  type KeyMode,
  type MetricMetadata,
  type MetricType,
} from './batch.js';
export { canonicalKey, labelsFromKey } from './label-key.js';
export { hashKeyBytes, hashKeyString, KEY_HASH_LANES } from './key-hash.js';
export { checkLabels } from './validate.js';
export { snappyUncompress, snappyCompress } from './snappy.js';
export { decodeRemoteWriteV1, decodeWriteRequestV1 } from './remote-write-v1.js';
export { decodeRemoteWriteV2, decodeWriteRequestV2 } from './remote-write-v2.js';
export { parseContentType, checkContentEncoding, remoteWriteV2ResponseHeaders, type RemoteWriteVersion } from './content-type.js';
export { encodeRemoteWriteV1, encodeRemoteWriteV2, type EncodeSeries, type EncodeLabel, type EncodeOptions } from './encode.js';
export { formatVMFloat, formatPromFloat } from './float-format.js';
export { parseJsonLines, formatJsonLine, quoteVMJson } from './json-lines.js';
export {
  parsePrometheusText,
  parsePromFloat,
  formatExposition,
  formatExpositionLine,
  ExpositionWriter,
  OpenMetricsWriter,
  type ExpositionSample,
  type FamilyMetadata,
} from './exposition.js';
export { parseCsv, parseCsvImportFormat, parseCsvExportFormat, formatCsvRows, type CsvExportField, type CsvImportColumn } from './csv.js';
export { parseInfluxLines, parseInfluxPrecision, type InfluxPrecision, type InfluxOptions } from './influx.js';
export {
  Relabeler,
  RelabelConfigError,
  applyRelabel,
  loadRelabelConfig,
  parseRelabelConfigs,
  compileRelabelRegex,
  expandTemplate,
  extraLabelConfigs,
  type RelabelConfig,
  type RelabelAction,
} from './relabel.js';
export { decompressBody, parseBodyEncoding, type BodyEncoding } from './decompress.js';
export { DecodePool, type DecodePoolOptions } from './decode-pool.js';
export { ID_TABLE_SLOT, KeyNotKeptError, dropKnownKeys, lookupIds, type KnownIds, type SharedIdTable } from './id-lookup.js';
export { encodeHistogramMessage, type EncodeHistogram } from './histogram-encode.js';
export { readHistogram, MIN_SCHEMA, MAX_SCHEMA, CUSTOM_BUCKETS_SCHEMA } from './histogram-proto.js';
export { formatHistogramJsonLine, histogramJson, classicSeries } from './histogram-output.js';
export { allBuckets, classicBuckets, exponentialBound, type Bucket, type BoundaryRule } from './histogram-buckets.js';
export { type ExemplarRow, EXEMPLAR_MAX_LABEL_SET_LENGTH } from './exemplars.js';
export { ProtoReader } from './proto-reader.js';
export {
  decodeExportRequestJson,
  decodeExportRequestProto,
  encodeExportResponse,
  encodeStatus,
  exponentialToFloatHistogram,
  ExponentialHistogramError,
  OTLP_CONTENT_TYPES,
  TRANSLATION_STRATEGIES,
  translateExportRequest,
  type ExponentialInput,
  type NativeHistogramSample,
  type OtlpEncoding,
  type OtlpOptions,
  type TranslationStrategy,
} from './otlp/index.js';
