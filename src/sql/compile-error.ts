import type { Span } from '../source/source-file.js';

/**
 * A definition the compiler cannot turn into SQL for a reason the user can fix (a delta
 * definition over a table without change tracking, a catalogue without terminology tables).
 * Bugs in the compiler are plain Errors and end as internal errors.
 */
export class CompileError extends Error {
  constructor(
    message: string,
    readonly hints: string[] = [],
    readonly span?: Span,
  ) {
    super(message);
    this.name = 'CompileError';
  }
}
