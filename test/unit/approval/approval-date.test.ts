import { describe, expect, it } from 'vitest';
import { approvalDate } from '../../../src/approval/practice-approvals.js';

describe('the date approvals are judged on', () => {
  const clock = new Date('2027-03-10T23:59:00Z');
  it('is the extract date when it is the clock date or later', () => {
    expect(approvalDate('2027-03-10', clock)).toBe('2027-03-10');
    expect(approvalDate('2027-04-01', clock)).toBe('2027-04-01');
  });
  it("is the clock's date when --today is in the past: a past date never revives an expired approval", () => {
    expect(approvalDate('2026-11-21', clock)).toBe('2027-03-10');
  });
});
