import type { Clock, TimerHandle } from './clock.ts';

/**
 * One timer mechanism for a whole fleet: a binary min-heap of (due time,
 * subject, token) driven by a single clock timer. A subject has at most one
 * live deadline; scheduling again or cancelling bumps its token, and stale
 * heap entries are dropped when they surface. No per-device closures, no
 * per-device timers.
 */
export class TimerQueue {
  private readonly dueAt: number[] = [];
  private readonly subjects: number[] = [];
  private readonly tokens: number[] = [];
  /** Current token of each subject; an entry fires only if it matches. */
  private readonly liveToken: Int32Array;
  private timer: TimerHandle | undefined;
  private timerDueAt = Infinity;
  private readonly clock: Clock;
  private readonly fire: (subject: number) => void;

  /**
   * Most deadlines fired in one turn of the event loop. Thousands of devices
   * fall due together in a storm; firing them all in one synchronous batch
   * blocks socket I/O for seconds, and handshake timeouts then fire on
   * replies that are already waiting in the socket buffers. After this many,
   * the queue yields and goes on in the next turn (deadlines are only ever
   * late, never early).
   */
  private readonly maxFiresPerTurn: number;

  constructor(clock: Clock, subjectCount: number, fire: (subject: number) => void, maxFiresPerTurn = 200) {
    this.clock = clock;
    this.fire = fire;
    this.liveToken = new Int32Array(subjectCount);
    this.maxFiresPerTurn = maxFiresPerTurn;
  }

  /** Sets the subject's single deadline to `dueAtMs` (clock time), replacing any other. */
  schedule(subject: number, dueAtMs: number): void {
    const token = ++this.liveToken[subject];
    this.push(dueAtMs, subject, token);
    if (dueAtMs < this.timerDueAt) this.arm(dueAtMs);
  }

  cancel(subject: number): void {
    this.liveToken[subject]++;
  }

  /** Number of heap entries, live or stale (for tests and diagnostics). */
  get size(): number {
    return this.dueAt.length;
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDueAt = Infinity;
    this.dueAt.length = 0;
    this.subjects.length = 0;
    this.tokens.length = 0;
  }

  private arm(dueAtMs: number): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerDueAt = dueAtMs;
    this.timer = this.clock.setTimeout(() => this.run(), Math.max(0, dueAtMs - this.clock.now()));
  }

  private run(): void {
    this.timer = undefined;
    this.timerDueAt = Infinity;
    const now = this.clock.now();
    let fired = 0;
    while (this.dueAt.length > 0 && this.dueAt[0] <= now && fired < this.maxFiresPerTurn) {
      const subject = this.subjects[0];
      const token = this.tokens[0];
      this.pop();
      if (this.liveToken[subject] === token) {
        this.liveToken[subject]++;
        fired++;
        this.fire(subject);
      }
    }
    if (this.dueAt.length > 0) this.arm(this.dueAt[0]);
  }

  private push(at: number, subject: number, token: number): void {
    const { dueAt, subjects, tokens } = this;
    let i = dueAt.length;
    dueAt.push(at);
    subjects.push(subject);
    tokens.push(token);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (dueAt[parent] <= at) break;
      dueAt[i] = dueAt[parent];
      subjects[i] = subjects[parent];
      tokens[i] = tokens[parent];
      i = parent;
    }
    dueAt[i] = at;
    subjects[i] = subject;
    tokens[i] = token;
  }

  private pop(): void {
    const { dueAt, subjects, tokens } = this;
    const lastAt = dueAt.pop()!;
    const lastSubject = subjects.pop()!;
    const lastToken = tokens.pop()!;
    const n = dueAt.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && dueAt[right] < dueAt[left] ? right : left;
      if (dueAt[child] >= lastAt) break;
      dueAt[i] = dueAt[child];
      subjects[i] = subjects[child];
      tokens[i] = tokens[child];
      i = child;
    }
    dueAt[i] = lastAt;
    subjects[i] = lastSubject;
    tokens[i] = lastToken;
  }
}
