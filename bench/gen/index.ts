export { Rng } from './rng.js';
export { ProtoWriter, varintSize } from './protobuf-writer.js';
export { encodeLabelBlock, WriteRequestBuilder, snappyUncompress, STALE_NAN_BYTES, REMOTE_WRITE_HEADERS, type EncodedBody } from './remote-write.js';
export { HostModel, instanceName, HISTOGRAM_BOUNDS, type HostShape } from './node-exporter.js';
export { generateDataset, generateChurn, GenConfigError, type GenConfig, type Dataset, type ChurnSet } from './dataset.js';
