import { describe, expect, it } from 'vitest';
import { CopyTextBuffer } from '../../../src/seed/copy-text-buffer.js';

describe('CopyTextBuffer', () => {
  it('hands over whole lines only, in order, and their bytes are the text encoded as UTF-8', () => {
    const buffer = new CopyTextBuffer(64);
    const lines = ['1\tA81001\n', '2\tÉmile Zoë\n', '3\t\\N\n', `4\t${'x'.repeat(40)}\n`, '5\t😀 wide\n', `6\t${'long '.repeat(30)}\n`, '7\tlast\n'];
    const chunks: Buffer[] = [];
    for (const line of lines) {
      buffer.append(line);
      chunks.push(...buffer.take(false));
    }
    chunks.push(...buffer.take(true));
    expect(Buffer.concat(chunks).toString('utf8')).toBe(lines.join(''));
    for (const chunk of chunks) expect(chunk.toString('utf8').endsWith('\n')).toBe(true);
    // A line longer than a chunk is a chunk of its own; the others share chunks of at most 64 bytes.
    expect(chunks.filter((c) => c.length > 64).map((c) => c.toString('utf8'))).toEqual([lines[5]]);
    expect(chunks.length).toBeLessThan(lines.length);
  });

  it('gives nothing until a chunk is full, and nothing twice', () => {
    const buffer = new CopyTextBuffer(1024);
    buffer.append('a\n');
    expect(buffer.take(false)).toEqual([]);
    expect(buffer.take(true).map(String)).toEqual(['a\n']);
    expect(buffer.take(true)).toEqual([]);
  });
});
