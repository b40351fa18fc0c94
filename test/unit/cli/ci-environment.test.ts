import { describe, expect, it } from 'vitest';
import { inCi } from '../../../src/ci-environment.js';

describe('inCi: CI set to any true value', () => {
  it.each(['true', 'TRUE', '1', 'yes', 'on', 'github'])('CI=%s is CI', (value) => {
    expect(inCi({ CI: value })).toBe(true);
  });
  it.each(['', '0', 'false', 'False', 'no', ' '])('CI=%j is not CI', (value) => {
    expect(inCi({ CI: value })).toBe(false);
  });
  it('unset is not CI', () => {
    expect(inCi({})).toBe(false);
  });
});
