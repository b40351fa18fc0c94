/**
 * A bounded queue of COPY text chunks between the generator (one producer) and a COPY stream (one
 * consumer). The producer waits when `capacity` chunks are queued, so memory stays flat however
 * many rows are generated.
 */
export class ChunkChannel implements AsyncIterable<Uint8Array> {
  private readonly queue: Uint8Array[] = [];
  private closed = false;
  private failed: unknown = undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;

  constructor(private readonly capacity = 4) {}

  async push(chunk: Uint8Array): Promise<void> {
    while (this.queue.length >= this.capacity && this.failed === undefined) {
      await new Promise<void>((resolve) => (this.wakeProducer = resolve));
    }
    if (this.failed !== undefined) throw this.failed;
    this.queue.push(chunk);
    this.wakeConsumer?.();
  }

  close(): void {
    this.closed = true;
    this.wakeConsumer?.();
  }

  /** The consumer failed: release a waiting producer with the error. */
  fail(error: unknown): void {
    this.failed = error;
    this.wakeProducer?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const chunk = this.queue.shift();
      if (chunk !== undefined) {
        this.wakeProducer?.();
        yield chunk;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
    }
  }
}
