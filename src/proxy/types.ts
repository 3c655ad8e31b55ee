import type { KubeObject } from '../api/types.js';

// The parts of Service and EndpointSlice (discovery.k8s.io/v1) the proxy reads.

export interface ServicePortSpec {
  name?: string;
  protocol?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
}

export interface Service extends KubeObject {
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    externalIPs?: string[];
    ports?: ServicePortSpec[];
    sessionAffinity?: string;
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    externalTrafficPolicy?: string;
    internalTrafficPolicy?: string;
  };
}

export interface SliceEndpoint {
  addresses: string[];
  conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
  nodeName?: string;
}

export interface EndpointSlice extends KubeObject {
  addressType?: string;
  endpoints?: SliceEndpoint[] | null;
  ports?: Array<{ name?: string | null; port?: number | null; protocol?: string | null }> | null;
}

/** One port of one Service, as upstream's ServicePortInfo. */
export interface ServicePort {
  /** "ns/name:port" (":port" only when the port has a name): upstream's ServicePortName.String(). */
  name: string;
  /** "ns/name" */
  service: string;
  portName: string;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  clusterIP: string;
  port: number;
  nodePort: number;
  externalIPs: string[];
  /** 0 without ClientIP affinity. */
  stickySeconds: number;
  internalLocal: boolean;
  externalLocal: boolean;
}

export interface Endpoint {
  ip: string;
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  local: boolean;
  nodeName?: string;
}

export const externallyAccessible = (sp: ServicePort): boolean => sp.nodePort > 0 || sp.externalIPs.length > 0;
export const usesClusterEndpoints = (sp: ServicePort): boolean => !sp.internalLocal || (externallyAccessible(sp) && !sp.externalLocal);
export const usesLocalEndpoints = (sp: ServicePort): boolean => sp.internalLocal || (externallyAccessible(sp) && sp.externalLocal);
export const endpointString = (e: Endpoint): string => `${e.ip}:${e.port}`;
