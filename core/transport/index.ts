export * from './control-links.js';
export * from './serial-sender.js';
export * from './zmq-links.js';
export * from './worker-command-link.js';
export * from './zmq-control-link.js';
