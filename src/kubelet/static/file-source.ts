import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod } from '../api-types.js';
import { parseManifest } from './manifest.js';

// Watches the static pod directory (or file): fs.watch for prompt reaction
// and a periodic rescan (upstream's --file-check-frequency, 20 s) because
// watches miss events on some filesystems. Each scan yields the full set
// of static pods; the caller diffs by uid. A bad file is reported once per
// content and skipped; the other files still count.

export interface FileSourceHandlers {
  /** The complete current set of static pods. */
  onPods(pods: Pod[]): void;
  onError(file: string, message: string): void;
}

export class StaticPodFileSource {
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;
  private readonly reported = new Map<string, string>();
  private scanning = false;
  private rescan = false;
  private stopped = false;

  constructor(
    private readonly path: string,
    private readonly nodeName: string,
    private readonly handlers: FileSourceHandlers,
    private readonly checkFrequencyMs = 20_000,
  ) {}

  start(): void {
    try {
      this.watcher = watch(this.path, () => this.soon());
      this.watcher.on('error', () => undefined);
    } catch {
      // The directory may appear later; the periodic scan notices it.
    }
    this.timer = setInterval(() => void this.scan(), this.checkFrequencyMs);
    this.timer.unref();
    void this.scan();
  }

  private soon(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.scan(), 50);
    this.debounce.unref();
  }

  async scan(): Promise<void> {
    if (this.stopped) return;
    if (this.scanning) {
      this.rescan = true;
      return;
    }
    this.scanning = true;
    try {
      do {
        this.rescan = false;
        const pods = await this.read();
        if (pods && !this.stopped) this.handlers.onPods(pods);
      } while (this.rescan && !this.stopped);
    } finally {
      this.scanning = false;
    }
  }

  private async files(): Promise<string[] | undefined> {
    const st = await stat(this.path).catch(() => undefined);
    if (!st) return [];
    if (st.isFile()) return [this.path];
    if (!st.isDirectory()) return undefined;
    if (!this.watcher && !this.stopped) {
      try {
        this.watcher = watch(this.path, () => this.soon());
        this.watcher.on('error', () => undefined);
      } catch {
        // keep polling
      }
    }
    const names = (await readdir(this.path).catch(() => [] as string[])).filter((n) => !n.startsWith('.')).sort();
    return names.map((n) => join(this.path, n));
  }

  private async read(): Promise<Pod[] | undefined> {
    const files = await this.files();
    if (!files) return undefined;
    const pods: Pod[] = [];
    const names = new Set<string>();
    for (const file of files) {
      const st = await stat(file).catch(() => undefined);
      if (!st?.isFile()) continue;
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      try {
        for (const p of parseManifest(text, file, this.nodeName)) {
          const key = `${p.metadata.namespace}/${p.metadata.name}`;
          if (names.has(key)) throw new Error(`duplicate pod name ${JSON.stringify(p.metadata.name)} in namespace ${JSON.stringify(p.metadata.namespace)}`);
          names.add(key);
          pods.push(p);
        }
        this.reported.delete(file);
      } catch (err) {
        const message = (err as Error).message;
        if (this.reported.get(file) !== text) {
          this.reported.set(file, text);
          this.handlers.onError(file, message);
        }
      }
    }
    return pods;
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
    clearInterval(this.timer);
    clearTimeout(this.debounce);
  }
}
