export { Forwarder, type ForwardOptions, type LabelsLookup } from './forwarder.js';
export { displayUrl, retryAfterMs, type DestinationConfig } from './destination.js';
export { encodeLabelFields } from './encode.js';
