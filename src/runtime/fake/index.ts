export { FakeRuntime, createFakeRuntime, normalizeImage } from './runtime.js';
export type { FakeRuntimeOptions } from './runtime.js';
export { ANNOTATION_EXIT_CODE, ANNOTATION_RUN_MS, ANNOTATION_OOM, fateOf, commandFate } from './behaviour.js';
export { IpPool } from './ip-pool.js';
