// One piece of work at a time, in the order asked: file writes and reads of the same files take
// turns. A failed piece of work fails only its own caller; the next one still runs.

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `work` once everything queued before it has settled; answers with what `work` answers or throws. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.tail.then(work, work);
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  /** Settles (never rejects) when everything queued so far has settled. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
