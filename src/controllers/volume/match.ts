import { parseQuantity, type Quantity } from '../../api/quantity.js';
import { selectorFor, selects } from '../shared/selectors.js';
import { matchesAnyTerm } from '../../scheduler/util/node-selector.js';
import type { Node } from '../../scheduler/framework/types.js';
import { ANN_BETA_DEFAULT_CLASS, ANN_BETA_STORAGE_CLASS, ANN_DEFAULT_CLASS, WAIT_FOR_FIRST_CONSUMER, type PersistentVolume, type PersistentVolumeClaim, type StorageClass } from './types.js';

// Which volume a claim may bind, as upstream's persistentvolume index and
// storage helpers: the smallest Available volume that is big enough, has
// every access mode asked for, the same class, labels the selector accepts
// and (for the scheduler) node affinity that admits the node.

export function claimClass(c: PersistentVolumeClaim): string {
  const ann = c.metadata.annotations?.[ANN_BETA_STORAGE_CLASS];
  if (ann !== undefined) return ann;
  return c.spec.storageClassName ?? '';
}

export function volumeClass(v: PersistentVolume): string {
  const ann = v.metadata.annotations?.[ANN_BETA_STORAGE_CLASS];
  if (ann !== undefined) return ann;
  return v.spec.storageClassName ?? '';
}

function qty(s: string | undefined): Quantity {
  return parseQuantity(s ?? '0');
}

export function requestedStorage(c: PersistentVolumeClaim): Quantity {
  return qty(c.spec.resources?.requests?.storage);
}

export function volumeStorage(v: PersistentVolume): Quantity {
  return qty(v.spec.capacity?.storage);
}

/** Every mode the claim asks for is one the volume offers. */
export function checkAccessModes(c: PersistentVolumeClaim, v: PersistentVolume): boolean {
  const have = new Set(v.spec.accessModes ?? []);
  return (c.spec.accessModes ?? []).every((m) => have.has(m));
}

function volumeModeMismatch(c: PersistentVolumeClaim, v: PersistentVolume): boolean {
  return (c.spec.volumeMode ?? 'Filesystem') !== (v.spec.volumeMode ?? 'Filesystem');
}

/** The claim is the one the volume's claimRef names (a claimRef without uid is a pre-binding by name). */
export function isVolumeBoundToClaim(v: PersistentVolume, c: PersistentVolumeClaim): boolean {
  const ref = v.spec.claimRef;
  if (!ref) return false;
  if (ref.name !== c.metadata.name || ref.namespace !== c.metadata.namespace) return false;
  return !ref.uid || ref.uid === c.metadata.uid;
}

export function volumeNodeAffinityMatches(v: PersistentVolume, node: Node): boolean {
  const terms = v.spec.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms) return true;
  return matchesAnyTerm(terms, node);
}

/** checkVolumeSatisfyClaim: why a volume the claim names by volumeName cannot serve it, or undefined. */
export function volumeSatisfiesClaim(v: PersistentVolume, c: PersistentVolumeClaim): string | undefined {
  if (v.metadata.deletionTimestamp) return `the volume is marked for deletion "${v.metadata.name}"`;
  if (volumeStorage(v).cmp(requestedStorage(c)) < 0) return 'requested PV is too small';
  if (volumeClass(v) !== claimClass(c)) return 'storageClassName does not match';
  if (volumeModeMismatch(c, v)) return 'incompatible volumeMode';
  if (!checkAccessModes(c, v)) return 'incompatible accessMode';
  return undefined;
}

/**
 * findMatchingVolume over one group of volumes. With a node (the scheduler's
 * call) volumes must admit the node; without one, volumes of a
 * WaitForFirstConsumer class are left for the scheduler.
 */
function findMatchingVolume(c: PersistentVolumeClaim, volumes: readonly PersistentVolume[], node: Node | undefined, delayBinding: boolean): PersistentVolume | undefined {
  const requested = requestedStorage(c);
  const cls = claimClass(c);
  const selector = c.spec.selector ? selectorFor(c.spec.selector) : undefined;
  let best: PersistentVolume | undefined;
  let bestQty: Quantity | undefined;
  for (const v of volumes) {
    if (volumeModeMismatch(c, v)) continue;
    if (v.metadata.deletionTimestamp) continue;
    const affinityOk = node ? volumeNodeAffinityMatches(v, node) : true;
    if (isVolumeBoundToClaim(v, c)) {
      // A volume pre-bound to this claim wins over every other, or nothing does.
      if (!affinityOk) return undefined;
      if (volumeStorage(v).cmp(requested) < 0) return undefined;
      return v;
    }
    if (!node && delayBinding) continue;
    if ((v.status?.phase ?? '') !== 'Available') continue;
    if (v.spec.claimRef) continue;
    if (selector && !selects(selector, v.metadata.labels)) continue;
    if (volumeClass(v) !== cls) continue;
    if (!affinityOk) continue;
    if (node && !checkAccessModes(c, v)) continue;
    const q = volumeStorage(v);
    if (q.cmp(requested) >= 0 && (!bestQty || bestQty.cmp(q) > 0)) {
      best = v;
      bestQty = q;
    }
  }
  return best;
}

/**
 * findBestMatchForClaim: volumes are grouped by their access-mode sets; the
 * groups that include every mode the claim asks for are tried from the
 * fewest modes up, so a RWO claim does not take a RWX volume when a RWO one fits.
 */
export function findBestMatch(c: PersistentVolumeClaim, volumes: readonly PersistentVolume[], node?: Node, delayBinding = false): PersistentVolume | undefined {
  const wanted = c.spec.accessModes ?? [];
  const groups = new Map<string, PersistentVolume[]>();
  for (const v of volumes) {
    const modes = [...new Set(v.spec.accessModes ?? [])].sort();
    if (!wanted.every((m) => modes.includes(m))) continue;
    const k = modes.join(',');
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(v);
  }
  const ordered = [...groups.entries()].sort((a, b) => a[0].split(',').length - b[0].split(',').length || a[0].localeCompare(b[0]));
  for (const [, g] of ordered) {
    const v = findMatchingVolume(c, g, node, delayBinding);
    if (v) return v;
  }
  return undefined;
}

export function isDefaultClass(sc: StorageClass): boolean {
  const a = sc.metadata.annotations ?? {};
  return a[ANN_DEFAULT_CLASS] === 'true' || a[ANN_BETA_DEFAULT_CLASS] === 'true';
}

/** The default class when several are marked: the newest, then by name, as upstream's GetDefaultClass. */
export function defaultClass(classes: readonly StorageClass[]): StorageClass | undefined {
  const d = classes.filter(isDefaultClass);
  d.sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  return d[0];
}

export function isDelayBinding(c: PersistentVolumeClaim, classByName: (n: string) => StorageClass | undefined): boolean {
  const cls = claimClass(c);
  if (!cls) return false;
  return classByName(cls)?.volumeBindingMode === WAIT_FOR_FIRST_CONSUMER;
}
