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
    loadBalancerSourceRanges?: string[];
  };
  status?: { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } };
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
  /** status.loadBalancer.ingress IPs of this family. */
  loadBalancerIPs: string[];
  /** spec.loadBalancerSourceRanges of this family: when set, only these sources may use the load balancer IPs. */
  sourceRanges: string[];
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

export const externallyAccessible = (sp: ServicePort): boolean => sp.nodePort > 0 || sp.externalIPs.length > 0 || sp.loadBalancerIPs.length > 0;

/** As the API's ipFamilies values. */
export type IPFamily = 'IPv4' | 'IPv6';
export const familyOf = (ip: string): IPFamily => (ip.includes(':') ? 'IPv6' : 'IPv4');
export const usesClusterEndpoints = (sp: ServicePort): boolean => !sp.internalLocal || (externallyAccessible(sp) && !sp.externalLocal);
export const usesLocalEndpoints = (sp: ServicePort): boolean => sp.internalLocal || (externallyAccessible(sp) && sp.externalLocal);
export const endpointString = (e: Endpoint): string => `${e.ip}:${e.port}`;
