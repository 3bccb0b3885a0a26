export { decodeReadRequest, decodeReadRequestBody, type ReadQuery, type ReadRequest, type ResponseType } from './read-request.js';
export { SamplesResponseWriter } from './samples-response.js';
export { ChunkedResponseWriter, MAX_BYTES_IN_FRAME } from './chunked-response.js';
export { XorChunkEncoder, MAX_SAMPLES_PER_CHUNK } from './xor-chunk.js';
export { HistogramChunkEncoder, ENCODING_HISTOGRAM, ENCODING_FLOAT_HISTOGRAM } from './histogram-chunk.js';
export { crc32c } from './crc32c.js';
export { ByteWriter } from '../varint.js';
