import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';

// A long-running `nft -i` for partial syncs. A fresh `nft -f` pays nft's
// start-up (loading its libraries, symbol tables, the netlink socket) on every
// change; an interactive nft pays it once. It still dumps the kernel's tables
// before each transaction (its cache is only kept while the ruleset generation
// is unchanged, and each of our commits changes it), so the saving is the
// start-up alone: see docs/benchmarks.md.
//
// nft -i reads one line per transaction (its commands joined with "; ") and
// prints only errors; a `describe` after each line prints a fixed text
// without touching the kernel, so everything between two of them (stdout and
// stderr merged in order) is the output of one transaction.

const SENTINEL_CMD = 'describe meta mark';
const SENTINEL_OUT = 'meta expression, datatype mark';
/** libedit keeps every line in its history: a session is replaced after this many transactions. */
const MAX_USES = 1000;
/** Larger transactions go to `nft -f` (libedit reads a line a byte at a time). */
export const SESSION_MAX_BYTES = 64 * 1024;

export class NftSessionError extends Error {
  constructor(
    message: string,
    /** nft itself refused the transaction (the session is still usable); false: the session failed. */
    readonly refused: boolean,
  ) {
    super(message);
    this.name = 'NftSessionError';
  }
}

/** Starts `nft -i` with its stderr merged into its stdout (e.g. through `sh -c 'exec nft -i 2>&1'`). */
export type SessionStarter = () => ChildProcessWithoutNullStreams;

export class NftSession {
  private child?: ChildProcessWithoutNullStreams;
  private buf = '';
  private uses = 0;
  /** Transactions nft answered (accepted or refused), over every process of this session. */
  answered = 0;
  private pending?: { resolve: (out: string) => void; reject: (err: Error) => void; timer: NodeJS.Timeout };

  constructor(
    private readonly starter: SessionStarter,
    private readonly timeoutMs = 30_000,
  ) {}

  /** The nft process's pid while one runs (benchmarks read its CPU time). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** CPU time (user + system) of the running nft process, ms; 0 without one. */
  cpuMs(): number {
    const pid = this.child?.pid;
    if (!pid) return 0;
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
      return (Number(rest[11]) + Number(rest[12])) * 10;
    } catch {
      return 0;
    }
  }

  /** Runs text (nft commands, one a line) as one transaction; what nft printed for it (warnings). */
  async run(text: string): Promise<string> {
    const line = text
      .split('\n')
      .filter((l) => l.trim())
      .join('; ');
    if (!line) return '';
    // One transaction at a time (the proxier's syncs never overlap): the answer is matched by order alone.
    if (this.pending) throw new NftSessionError('nft -i is busy with another transaction', false);
    if (this.uses >= MAX_USES) await this.close();
    const child = this.child ?? this.spawn();
    this.uses++;
    const out = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new NftSessionError(`nft -i did not answer within ${this.timeoutMs} ms`, false));
      }, this.timeoutMs);
      this.pending = { resolve, reject, timer };
      child.stdin.write(`${line}\n${SENTINEL_CMD}\n`);
    });
    if (/\bError:|\berror:/.test(out)) throw new NftSessionError(out.trim().split('\n').slice(0, 3).join(' '), true);
    return out.trim();
  }

  private spawn(): ChildProcessWithoutNullStreams {
    const child = this.starter();
    this.child = child;
    this.buf = '';
    this.uses = 0;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      if (this.child !== child) return;
      this.buf += d;
      const at = this.buf.indexOf(SENTINEL_OUT);
      if (at < 0 || !this.pending) return;
      const end = this.buf.indexOf('\n', at);
      if (end < 0) return;
      const out = this.buf.slice(0, at);
      this.buf = this.buf.slice(end + 1);
      const p = this.pending;
      this.pending = undefined;
      clearTimeout(p.timer);
      this.answered++;
      p.resolve(out);
    });
    child.stdin.on('error', () => {});
    child.on('error', (err) => this.fail(new NftSessionError(`nft -i: ${err.message}`, false), child));
    child.on('exit', (code, signal) => this.fail(new NftSessionError(`nft -i exited (${signal ?? code})`, false), child));
    return child;
  }

  /** The session is unusable: the pending transaction fails and the next one starts a new process. */
  private fail(err: NftSessionError, which = this.child): void {
    if (which !== this.child) return;
    const child = this.child;
    this.child = undefined;
    const p = this.pending;
    this.pending = undefined;
    if (p) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  /** Ends the process (SIGKILL: at the end of its input nft would write its history file) and waits, at most 2 s, for its exit. */
  async close(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.fail(new NftSessionError('nft -i closed', false), child);
    // fail() killed it already when it was still running; wait for the exit so nothing is left unreaped.
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
