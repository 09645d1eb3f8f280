/**
 * Keeps a Lambda from running into its timeout: when the remaining time falls to
 * `marginMs`, no new unit of work starts ({@link TimeGuard.check}), work still running
 * is abandoned ({@link TimeGuard.race}, {@link TimeGuard.signal}) and reported as failed,
 * so the invocation returns in time and everything finished is acknowledged.
 *
 * @example
 * const guard = new TimeGuard(() => context.getRemainingTimeInMillis(), 10_000);
 * try { await guard.race(work(record), `record ${id}`); } finally { guard.dispose(); }
 */

/** Too little invocation time was left to start or finish this unit of work; it is retried later. */
export class TimeBudgetError extends Error {
  override readonly name = "TimeBudgetError";
}

export class TimeGuard {
  private readonly controller = new AbortController();
  private readonly timer: ReturnType<typeof setTimeout>;
  private readonly expired: Promise<never>;

  constructor(
    private readonly remaining: () => number,
    private readonly marginMs: number,
  ) {
    this.expired = new Promise<never>((_, reject) => {
      this.controller.signal.addEventListener("abort", () => reject(this.controller.signal.reason), { once: true });
    });
    this.expired.catch(() => undefined); // observed through race(); never an unhandled rejection
    const budget = Math.max(0, remaining() - marginMs);
    this.timer = setTimeout(
      () => this.controller.abort(new TimeBudgetError(`stopped with ${this.remaining()} ms of the invocation left (TIME_GUARD_MS=${marginMs})`)),
      budget,
    );
  }

  /** Aborts when the margin is reached: pass it to streams that should stop then. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Remaining invocation time minus the margin (what a wait may still use). */
  remainingMs(): number {
    return this.remaining() - this.marginMs;
  }

  /** Throws {@link TimeBudgetError} if `what` should not start any more. */
  check(what: string): void {
    const left = this.remaining();
    if (this.controller.signal.aborted || left < this.marginMs) {
      throw new TimeBudgetError(`${what} not started: ${left} ms of the invocation left, below TIME_GUARD_MS=${this.marginMs}`);
    }
  }

  /** `work`, or a {@link TimeBudgetError} as soon as the margin is reached. */
  race<T>(work: Promise<T>, what: string): Promise<T> {
    work.catch(() => undefined); // if abandoned, its later failure is expected
    return Promise.race([
      work,
      this.expired.catch((reason: unknown) => {
        throw new TimeBudgetError(`${what} unfinished: ${reason instanceof Error ? reason.message : String(reason)}`);
      }),
    ]);
  }

  /** Stops the timer (call when the invocation ends). */
  dispose(): void {
    clearTimeout(this.timer);
  }
}
