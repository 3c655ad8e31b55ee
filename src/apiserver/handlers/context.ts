import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceInfo } from '../../api/scheme/resources.js';
import type { SchemaRegistry } from '../../api/schema/types.js';
import type { ResourceRequest } from '../http/request-info.js';
import type { ResourceStore } from '../registry/resource-store.js';
import type { OutputFormat } from '../http/respond.js';
import type { UserInfo } from '../../auth/user.js';
import type { Security } from '../security.js';
import type { AdmissionChain } from '../../auth/admission/index.js';
import type { KubeletClientConfig } from '../kubelet-client.js';

/** The registry of every resource's store, shared by all handlers. */
export interface Registry {
  storeFor(info: ResourceInfo): ResourceStore;
  schemas(): SchemaRegistry;
  /** How to reach kubelets (pods/log, exec, attach, portforward); plain HTTP when absent. */
  kubeletClient?: KubeletClientConfig;
}

/** One resource request, parsed once and handed to the verb's handler. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  rr: ResourceRequest;
  info: ResourceInfo;
  store: ResourceStore;
  query: URLSearchParams;
  output: OutputFormat;
  registry: Registry;
  /** Write requests: ?dryRun=All */
  dryRun: boolean;
  /** Field manager for managedFields: ?fieldManager or the user agent's product. */
  fieldManager: string;
  /** Warnings to send as Warning headers (299). */
  warnings: string[];
  /** Who is asking (system:masters on an insecure server). */
  user: UserInfo;
  /** Authentication, authorization and admission; absent on an insecure server. */
  security?: Security;
  /**
   * The admission chain: the secure port's, and also the insecure port's of a
   * secure server, whose requests skip authentication and authorization but,
   * as on upstream's insecure port, not admission.
   */
  admission?: AdmissionChain;
}
