/** Resolves once everything written to the stream so far has been handed to the operating system. */
export function drained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded) return resolve();
    const done = () => resolve();
    stream.once('error', done);
    // A write's callback runs after every earlier write has been flushed.
    stream.write('', () => {
      stream.removeListener('error', done);
      resolve();
    });
  });
}
