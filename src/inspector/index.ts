export { describeAccess, type InspectorAccess, isLoopback, nodeAccess } from './access.js';
export { refusal } from './gate.js';
export { notLocal } from './local-only.js';
export { observe } from './observe.js';
export { dryRunner } from './replay.js';
export { Ring } from './ring.js';
export { inspectorRoutes } from './routes.js';
export { keepsPayloads, remoteInspector, withInspector } from './setup.js';
export type { Inspector } from './views.js';
