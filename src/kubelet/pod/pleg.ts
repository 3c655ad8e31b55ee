import { LABEL_NODE_NAME, LABEL_POD_UID, type ContainerRuntime } from '../../runtime/interface.js';

// A relisting pod lifecycle event generator, as upstream's GenericPLEG:
// every relist period the runtime's sandboxes and containers of this node
// are listed and compared per pod with the previous listing; pods whose
// containers changed state are handed to their workers. This is how a
// container that died (or a pause that was killed) is noticed without the
// runtime having to push events.

export class Pleg {
  private last = new Map<string, string>();
  private lastUids: ReadonlySet<string> = new Set();
  /** The runtime's nodeGeneration when the last listing began. */
  private lastGeneration?: number;
  private busy = false;

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly nodeName: string,
    private readonly onChange: (uid: string) => void,
  ) {}

  /** Lists the runtime; returns the pod uids it has anything for (for orphan clean-up). */
  async relist(): Promise<ReadonlySet<string> | undefined> {
    if (this.busy) return undefined;
    // A runtime that says nothing of this node changed spares the listing: a hollow node's
    // pods otherwise cost a listing and a comparison each per second for nothing.
    const generation = this.runtime.nodeGeneration?.(this.nodeName);
    if (generation !== undefined && generation === this.lastGeneration) return this.lastUids;
    this.busy = true;
    try {
      const sel = { labelSelector: { [LABEL_NODE_NAME]: this.nodeName } };
      const [sandboxes, containers] = await Promise.all([this.runtime.listPodSandboxes(sel), this.runtime.listContainers(sel)]);
      const parts = new Map<string, string[]>();
      const add = (uid: string | undefined, s: string): void => {
        if (!uid) return;
        let a = parts.get(uid);
        if (!a) parts.set(uid, (a = []));
        a.push(s);
      };
      for (const s of sandboxes) add(s.labels[LABEL_POD_UID], `s${s.id}:${s.state}`);
      for (const c of containers) add(c.labels[LABEL_POD_UID], `c${c.id}:${c.state}`);
      const now = new Map<string, string>();
      for (const [uid, a] of parts) now.set(uid, a.sort().join(','));
      for (const [uid, sig] of now) if (this.last.get(uid) !== sig) this.onChange(uid);
      for (const uid of this.last.keys()) if (!now.has(uid)) this.onChange(uid);
      this.last = now;
      // Read before listing: a change while listing moves it on, and the next relist looks again.
      this.lastGeneration = generation;
      this.lastUids = new Set(now.keys());
      return this.lastUids;
    } finally {
      this.busy = false;
    }
  }
}
