import type { RequestAttributes } from './authz/types.js';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { yaml } from '../util/yaml.js';
import { nowMicroTime } from '../api/types.js';
import type { UserInfo } from './user.js';

// Audit logging as --audit-policy-file / --audit-log-path: the first policy
// rule matching a request sets its level; at Metadata and above one
// audit.k8s.io/v1 Event is written as a JSON line when the response is done
// (stage ResponseComplete), with request and response bodies at Request /
// RequestResponse.

export type AuditLevel = 'None' | 'Metadata' | 'Request' | 'RequestResponse';
const LEVELS: AuditLevel[] = ['None', 'Metadata', 'Request', 'RequestResponse'];

interface GroupResources {
  group?: string;
  resources?: string[];
  resourceNames?: string[];
}

export interface PolicyRule {
  level: AuditLevel;
  users?: string[];
  userGroups?: string[];
  verbs?: string[];
  resources?: GroupResources[];
  namespaces?: string[];
  nonResourceURLs?: string[];
  omitStages?: string[];
}

export interface AuditPolicy {
  rules: PolicyRule[];
  omitStages?: string[];
}

/** What the authorizer saw, plus the request path every audit event names. */
export type AuditAttributes = RequestAttributes & { path: string };

export function parseAuditPolicy(text: string): AuditPolicy {
  const p = yaml().parse(text) as { apiVersion?: string; kind?: string; rules?: PolicyRule[]; omitStages?: string[] };
  if (p?.kind !== 'Policy' || !String(p.apiVersion ?? '').startsWith('audit.k8s.io/')) throw new Error('audit policy must be an audit.k8s.io/v1 Policy');
  const rules = p.rules ?? [];
  for (const r of rules) if (!LEVELS.includes(r.level)) throw new Error(`audit policy: unknown level ${JSON.stringify(r.level)}`);
  return { rules, omitStages: p.omitStages };
}

function matchesResource(rr: GroupResources[], a: AuditAttributes): boolean {
  const full = a.subresource ? `${a.resource}/${a.subresource}` : (a.resource ?? '');
  return rr.some((g) => {
    if ((g.group ?? '') !== (a.apiGroup ?? '') && g.group !== '*') return false;
    if (g.resources?.length) {
      const hit = g.resources.some((r) => r === '*' || r === full || (r === `${a.resource}/*` && !!a.subresource) || (r.startsWith('*/') && r.slice(2) === a.subresource));
      if (!hit) return false;
    }
    return !g.resourceNames?.length || g.resourceNames.includes(a.name ?? '');
  });
}

function ruleMatches(r: PolicyRule, a: AuditAttributes): boolean {
  if (r.users?.length && !r.users.includes(a.user.username)) return false;
  if (r.userGroups?.length && !r.userGroups.some((g) => a.user.groups.includes(g))) return false;
  if (r.verbs?.length && !r.verbs.includes(a.verb)) return false;
  if (r.resources?.length || r.namespaces?.length) {
    if (!a.resourceRequest) return false;
    if (r.namespaces?.length && !r.namespaces.includes(a.namespace ?? '')) return false;
    if (r.resources?.length && !matchesResource(r.resources, a)) return false;
  }
  if (r.nonResourceURLs?.length) {
    if (a.resourceRequest) return false;
    if (!r.nonResourceURLs.some((u) => u === a.path || (u.endsWith('*') && a.path.startsWith(u.slice(0, -1))))) return false;
  }
  return true;
}

/** Upstream's policy evaluation: the first matching rule wins; nothing matching means None. */
export function auditLevel(policy: AuditPolicy, a: AuditAttributes): { level: AuditLevel; omitStages: string[] } {
  for (const r of policy.rules) if (ruleMatches(r, a)) return { level: r.level, omitStages: [...(policy.omitStages ?? []), ...(r.omitStages ?? [])] };
  return { level: 'None', omitStages: policy.omitStages ?? [] };
}

export interface AuditRecord {
  attrs: AuditAttributes;
  requestURI: string;
  sourceIPs: string[];
  userAgent?: string;
  /** The authenticated user when `attrs.user` is an impersonated one. */
  impersonatedBy?: UserInfo;
  code: number;
  /** Failure status message, if any. */
  status?: { status?: string; message?: string; reason?: string };
  requestObject?: unknown;
  responseObject?: unknown;
  requestReceived: Date;
  annotations?: Record<string, string>;
  /** ResponseComplete unless the request never got past authentication (upstream logs those at ResponseStarted). */
  stage?: 'ResponseStarted' | 'ResponseComplete';
}

export interface AuditLogger {
  /** Cheap check before buffering bodies: the level this request will be logged at. */
  levelFor(a: AuditAttributes): AuditLevel;
  log(r: AuditRecord): void;
  close(): Promise<void>;
}

function userJson(u: UserInfo): Record<string, unknown> {
  // A request that failed authentication has no user: upstream writes an empty one.
  if (!u.username) return {};
  const out: Record<string, unknown> = { username: u.username };
  if (u.uid) out.uid = u.uid;
  if (u.groups.length) out.groups = u.groups;
  if (u.extra && Object.keys(u.extra).length) out.extra = u.extra;
  return out;
}

/** The audit.k8s.io/v1 Event for one request at `level`. */
export function auditEvent(r: AuditRecord, level: Exclude<AuditLevel, 'None'>): Record<string, unknown> {
  const a = r.attrs;
  const ev: Record<string, unknown> = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level,
    auditID: randomUUID(),
    stage: r.stage ?? 'ResponseComplete',
    requestURI: r.requestURI,
    verb: a.verb,
    user: userJson(r.impersonatedBy ?? a.user),
  };
  if (r.impersonatedBy) ev.impersonatedUser = userJson(a.user);
  ev.sourceIPs = r.sourceIPs;
  if (r.userAgent) ev.userAgent = r.userAgent;
  if (a.resourceRequest) {
    const ref: Record<string, string> = { resource: a.resource ?? '' };
    if (a.namespace) ref.namespace = a.namespace;
    if (a.name) ref.name = a.name;
    if (a.apiGroup) ref.apiGroup = a.apiGroup;
    if (a.apiVersion) ref.apiVersion = a.apiVersion;
    if (a.subresource) ref.subresource = a.subresource;
    ev.objectRef = ref;
  }
  const status: Record<string, unknown> = { metadata: {}, code: r.code };
  if (r.status?.status) status.status = r.status.status;
  if (r.status?.message) status.message = r.status.message;
  if (r.status?.reason) status.reason = r.status.reason;
  ev.responseStatus = status;
  if (level !== 'Metadata' && r.requestObject !== undefined) ev.requestObject = r.requestObject;
  if (level === 'RequestResponse' && r.responseObject !== undefined) ev.responseObject = r.responseObject;
  ev.requestReceivedTimestamp = nowMicroTime(r.requestReceived);
  ev.stageTimestamp = nowMicroTime();
  if (r.annotations && Object.keys(r.annotations).length) ev.annotations = r.annotations;
  return ev;
}

/** --audit-policy-file + --audit-log-path ("-" is standard output). */
export function createAuditLogger(opts: { policyFile: string; logPath: string }): AuditLogger {
  const policy = parseAuditPolicy(readFileSync(opts.policyFile, 'utf8'));
  const out: WriteStream | NodeJS.WriteStream = opts.logPath === '-' ? process.stdout : createWriteStream(opts.logPath, { flags: 'a', mode: 0o600 });
  return {
    levelFor: (a) => {
      const { level, omitStages } = auditLevel(policy, a);
      return omitStages.includes('ResponseComplete') ? 'None' : level;
    },
    log(r) {
      const { level, omitStages } = auditLevel(policy, r.attrs);
      if (level === 'None' || omitStages.includes(r.stage ?? 'ResponseComplete')) return;
      out.write(JSON.stringify(auditEvent(r, level)) + '\n');
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (out === process.stdout) resolve();
        else (out as WriteStream).end(() => resolve());
      }),
  };
}
