import { readFileSync, statSync } from 'node:fs';
import { realClock, type Clock } from './clock.js';

// Projected service-account tokens are rotated in place by the kubelet. A
// stat at most once per `checkEveryMs` notices the rotation without adding
// a read to every request.

export class FileTokenSource {
  private token = '';
  private mtimeMs = -1;
  private size = -1;
  private checkedAt = -Infinity;

  constructor(
    readonly path: string,
    private readonly checkEveryMs = 1000,
    private readonly clock: Clock = realClock,
  ) {}

  get(): string {
    const now = this.clock.now();
    if (now - this.checkedAt < this.checkEveryMs && this.token) return this.token;
    this.checkedAt = now;
    try {
      const st = statSync(this.path);
      if (st.mtimeMs !== this.mtimeMs || st.size !== this.size || !this.token) {
        this.token = readFileSync(this.path, 'utf8').trim();
        this.mtimeMs = st.mtimeMs;
        this.size = st.size;
      }
    } catch (err) {
      // Keep serving the last good token: a rotation replaces the file via a
      // symlink swap, and a momentary ENOENT must not break every request.
      if (!this.token) throw err;
    }
    return this.token;
  }
}
