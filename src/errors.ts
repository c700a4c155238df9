/**
 * The one error type the rig throws on purpose. Only the CLI entry point turns
 * it into a process exit; everything else throws.
 *
 * kind separates what the user can fix (usage, input) from what the machine
 * lacks (infra) and from a kernel that did not meet its expectation.
 */
export type ErrorKind = 'usage' | 'input' | 'infra' | 'expectation';

/** Exit codes a CI can act on. */
export const EXIT = {
  ok: 0,
  /** a scenario or a build failed its expectation */
  expectation: 1,
  /** usage, bad input or infrastructure: nothing was judged */
  infrastructure: 2,
  /** everything judged met its expectation, but the rig could not judge some scenarios (errors of the rig, not the kernel) */
  unjudged: 3,
  /** bisect: this prefix (or the search) could not be tested; `git bisect run` skips it */
  cannotTest: 125,
} as const;

export interface RigErrorOptions {
  kind: ErrorKind;
  /** What to do about it: printed after the message. */
  hint?: string;
  /** Supporting lines (a hunk, console lines, log excerpts). */
  details?: string[];
  cause?: unknown;
  /** Which stage failed, for callers that report it (a per-patch build: config or compile). */
  stage?: 'config' | 'build';
  /** The full log of the failed step, when there is one. */
  log?: string;
  /** An exit code other than the kind's: bisect's 125, "cannot test", for git bisect run. */
  exit?: number;
}

export class RigError extends Error {
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  readonly details: string[];
  readonly stage: RigErrorOptions['stage'];
  readonly log: string | undefined;
  readonly exit: number | undefined;

  constructor(message: string, options: RigErrorOptions) {
    super(message, { cause: options.cause });
    this.name = 'RigError';
    this.kind = options.kind;
    this.hint = options.hint;
    this.details = options.details ?? [];
    this.stage = options.stage;
    this.log = options.log;
    this.exit = options.exit;
  }

  get exitCode(): number {
    if (this.exit !== undefined) return this.exit;
    return this.kind === 'expectation' ? EXIT.expectation : EXIT.infrastructure;
  }

  /** The full text a user sees. */
  format(): string {
    const lines = [`error: ${this.message}`];
    for (const d of this.details) lines.push(`  ${d}`);
    if (this.hint) lines.push(`hint: ${this.hint}`);
    return lines.join('\n');
  }
}

export const usageError = (message: string, hint?: string) =>
  new RigError(message, { kind: 'usage', hint });
export const inputError = (message: string, o: Omit<RigErrorOptions, 'kind'> = {}) =>
  new RigError(message, { ...o, kind: 'input' });
export const infraError = (message: string, o: Omit<RigErrorOptions, 'kind'> = {}) =>
  new RigError(message, { ...o, kind: 'infra' });
export const expectationError = (message: string, o: Omit<RigErrorOptions, 'kind'> = {}) =>
  new RigError(message, { ...o, kind: 'expectation' });
