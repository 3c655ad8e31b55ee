import { nowTimestamp } from '../../api/types.js';

// The namespace status conditions the deleter maintains, with upstream's
// reasons and messages: each pass sets every type, either to its failure
// variant (True) or to its "ok" variant (False), so `kubectl describe ns`
// shows why a namespace is stuck in Terminating.

export interface NamespaceCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export const CONDITION_TYPES = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
] as const;

const OK: Record<(typeof CONDITION_TYPES)[number], { reason: string; message: string }> = {
  NamespaceDeletionDiscoveryFailure: { reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
  NamespaceDeletionGroupVersionParsingFailure: { reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
  NamespaceDeletionContentFailure: { reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
  NamespaceContentRemaining: { reason: 'ContentRemoved', message: 'All content successfully removed' },
  NamespaceFinalizersRemaining: { reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
};

/** What one deletion pass found; turned into conditions by build(). */
export class ConditionCollector {
  private readonly failures = new Map<string, NamespaceCondition>();
  private readonly contentErrors: string[] = [];

  discoveryFailed(message: string): void {
    this.failures.set('NamespaceDeletionDiscoveryFailure', { type: 'NamespaceDeletionDiscoveryFailure', status: 'True', reason: 'DiscoveryFailed', message });
  }

  contentDeleteFailed(err: Error): void {
    this.contentErrors.push(err.message);
  }

  /** "resource.group has N resource instances" and "finalizer in N resource instances", sorted. */
  contentTotals(gvrRemaining: Map<string, number>, finalizersRemaining: Map<string, number>): void {
    const resources = [...gvrRemaining.entries()].filter(([, n]) => n > 0).map(([gr, n]) => `${gr} has ${n} resource instances`).sort();
    if (resources.length) {
      this.failures.set('NamespaceContentRemaining', { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${resources.join(', ')}` });
    }
    const finalizers = [...finalizersRemaining.entries()].filter(([, n]) => n > 0).map(([f, n]) => `${f} in ${n} resource instances`).sort();
    if (finalizers.length) {
      this.failures.set('NamespaceFinalizersRemaining', {
        type: 'NamespaceFinalizersRemaining',
        status: 'True',
        reason: 'SomeFinalizersRemain',
        message: `Some content in the namespace has finalizers remaining: ${finalizers.join(', ')}`,
      });
    }
  }

  private wanted(): NamespaceCondition[] {
    const out: NamespaceCondition[] = [];
    if (this.contentErrors.length && !this.failures.has('NamespaceDeletionContentFailure')) {
      const msgs = [...this.contentErrors].sort();
      this.failures.set('NamespaceDeletionContentFailure', {
        type: 'NamespaceDeletionContentFailure',
        status: 'True',
        reason: 'ContentDeletionFailed',
        message: `Failed to delete all resource types, ${msgs.length} remaining: ${msgs.join(', ')}`,
      });
    }
    for (const type of CONDITION_TYPES) out.push(this.failures.get(type) ?? { type, status: 'False', ...OK[type] });
    return out;
  }

  /** The namespace's conditions after this pass; `changed` says whether a status write is needed. */
  merge(current: NamespaceCondition[] | undefined, now = nowTimestamp()): { conditions: NamespaceCondition[]; changed: boolean } {
    const conditions = (current ?? []).map((c) => ({ ...c }));
    let changed = false;
    for (const want of this.wanted()) {
      const old = conditions.find((c) => c.type === want.type);
      if (!old) {
        conditions.push({ type: want.type, status: want.status, lastTransitionTime: now, reason: want.reason, message: want.message });
        changed = true;
      } else if (old.status !== want.status || old.reason !== want.reason || old.message !== want.message) {
        if (old.status !== want.status) old.lastTransitionTime = now;
        old.status = want.status;
        old.reason = want.reason;
        old.message = want.message;
        changed = true;
      }
    }
    return { conditions, changed };
  }
}
