export { Rng } from './rng.js';
export { ProtoWriter, varintSize } from './protobuf-writer.js';
export {
  encodeLabelBlock,
  WriteRequestBuilder,
  snappyUncompress,
  STALE_NAN_BYTES,
  REMOTE_WRITE_HEADERS,
  type EncodedBody,
} from './remote-write.js';
export { HostModel, instanceName, HISTOGRAM_BOUNDS } from './node-exporter.js';
export { generateDataset, GenConfigError, type GenConfig, type Dataset } from './dataset.js';
