/**
 * The AWS layer of the worker: endpoint and region resolution, credentials, control plane,
 * PutMedia session, ACK parsing and the KVS error table.
 */
export * from './errors.js';
export * from './endpoint.js';
export * from './credentials.js';
export * from './control-plane.js';
export * from './ack.js';
export * from './put-media.js';
