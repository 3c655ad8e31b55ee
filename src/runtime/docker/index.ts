// The Docker implementation of the container-runtime seam.
export { DockerRuntime, type DockerRuntimeOptions } from './runtime.js';
export { DockerClient, endpointFromEnv, type DockerEndpoint } from './client.js';
export { DEFAULT_PAUSE_IMAGE } from '../pause/rootfs.js';
