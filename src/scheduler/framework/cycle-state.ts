// Scratch data plugins share during one scheduling cycle (PreFilter computes,
// Filter and Score read). Preemption clones it to simulate removing pods
// without disturbing the real cycle, so data that changes under
// addPod/removePod must clone itself.

export interface StateData {
  clone(): StateData;
}

export class CycleState {
  private readonly data = new Map<string, StateData>();
  /** PreFilter/PreScore plugins that returned Skip: their Filter/Score are not run. */
  readonly skipFilterPlugins = new Set<string>();
  readonly skipScorePlugins = new Set<string>();
  /** Filter plugins left after PreFilter skips: computed once so the per-node loop does no lookups. */
  activeFilters: readonly unknown[] = [];

  read<T extends StateData>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }

  write(key: string, value: StateData): void {
    this.data.set(key, value);
  }

  delete(key: string): void {
    this.data.delete(key);
  }

  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.data) c.data.set(k, v.clone());
    for (const p of this.skipFilterPlugins) c.skipFilterPlugins.add(p);
    for (const p of this.skipScorePlugins) c.skipScorePlugins.add(p);
    c.activeFilters = this.activeFilters;
    return c;
  }
}
