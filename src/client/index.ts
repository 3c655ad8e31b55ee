// The public surface of the k8ts client library.

export { loadKubeconfig, loadDefaultConfig, inClusterConfig, parseKubeconfig, resolveContext, mergeKubeconfigs, SERVICE_ACCOUNT_DIR } from './kubeconfig.js';
export type { ClientConfig, KubeconfigFile } from './kubeconfig.js';
export { RestClient, PATCH_CONTENT_TYPES } from './rest.js';
export type { RestClientOptions, ListOptions, WatchOptions, WriteOptions, PatchType, PatchOptions, DeleteOptions } from './rest.js';
export type { RawResponse } from './transport.js';
export { resourcePath, groupVersionPath, query } from './paths.js';
export type { ResourceRef } from './paths.js';
export { NdjsonDecoder } from './watch.js';
export type { WatchHandle, WatchCallback } from './watch.js';
export { isNotFound, isConflict, isAlreadyExists, isExpired, isStatus, statusToError, responseError } from './status.js';
export { Store, metaNamespaceKey, splitMetaNamespaceKey, namespaceIndexFunc, NAMESPACE_INDEX } from './store.js';
export type { StoreReader, Indexers, IndexFunc } from './store.js';
export { Informer, Informer as SharedInformer, waitForCacheSync } from './informer.js';
export type { InformerOptions, EventHandlers, HandlerRegistration } from './informer.js';
export { InformerFactory } from './informer-factory.js';
export { WorkQueue, DelayingQueue, RateLimitingQueue } from './workqueue.js';
export {
  ItemExponentialFailureRateLimiter,
  ItemFastSlowRateLimiter,
  BucketRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
} from './ratelimiters.js';
export type { RateLimiter } from './ratelimiters.js';
export { TokenBucket } from './ratelimit.js';
export { LeaderElector, LEASES } from './leaderelection.js';
export type { LeaderElectionConfig, LeaderCallbacks, Lease, LeaseSpec } from './leaderelection.js';
export { EventRecorder, EVENTS, referenceTo } from './events/recorder.js';
export type { EventRecorderOptions, Referable } from './events/recorder.js';
export { EventCorrelator, eventKey, spamKey, spamKeyBySourceObject, aggregateKeys } from './events/correlator.js';
export type { CorrelatorOptions, CorrelateResult } from './events/correlator.js';
export type { CoreEvent, ObjectReference, EventSource, EventType } from './events/types.js';
export { FakeClock, realClock, sleep } from './clock.js';
export type { Clock } from './clock.js';
export { FileTokenSource } from './token.js';
