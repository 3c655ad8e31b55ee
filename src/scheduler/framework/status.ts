// The result of one plugin call, as upstream's framework.Status: a code and
// the human reasons that end up in the FitError message and the events.

export enum Code {
  Success = 0,
  Error = 1,
  /** The pod does not fit now, but preemption on this node might help. */
  Unschedulable = 2,
  /** The pod cannot fit this node whatever is removed from it. */
  UnschedulableAndUnresolvable = 3,
  Wait = 4,
  /** A PreFilter/PreScore plugin has nothing to do for this pod; its Filter/Score are skipped. */
  Skip = 5,
  Pending = 6,
}

export const CODE_NAMES: Record<Code, string> = {
  [Code.Success]: 'Success',
  [Code.Error]: 'Error',
  [Code.Unschedulable]: 'Unschedulable',
  [Code.UnschedulableAndUnresolvable]: 'UnschedulableAndUnresolvable',
  [Code.Wait]: 'Wait',
  [Code.Skip]: 'Skip',
  [Code.Pending]: 'Pending',
};

export class Status {
  /** The plugin that returned it, filled in by the framework. */
  plugin = '';

  constructor(
    readonly code: Code,
    readonly reasons: readonly string[] = [],
    readonly error?: Error,
  ) {}

  static unschedulable(...reasons: string[]): Status {
    return new Status(Code.Unschedulable, reasons);
  }

  static unresolvable(...reasons: string[]): Status {
    return new Status(Code.UnschedulableAndUnresolvable, reasons);
  }

  static error(err: Error | string): Status {
    const e = typeof err === 'string' ? new Error(err) : err;
    return new Status(Code.Error, [e.message], e);
  }

  isSuccess(): boolean {
    return this.code === Code.Success;
  }

  isSkip(): boolean {
    return this.code === Code.Skip;
  }

  isRejected(): boolean {
    return this.code === Code.Unschedulable || this.code === Code.UnschedulableAndUnresolvable || this.code === Code.Pending;
  }

  message(): string {
    return this.reasons.join(', ');
  }

  withPlugin(name: string): this {
    this.plugin = name;
    return this;
  }
}

/** Shared singletons keep the hot loop allocation-free on success. */
export const SUCCESS = new Status(Code.Success);
export const SKIP = new Status(Code.Skip);

export function isSuccess(s: Status | null | undefined): boolean {
  return !s || s.code === Code.Success;
}
