import { describe, expect, it } from 'vitest';
import { acceptsStatus } from '../../src/shared/accept-status.js';

describe('accepted statuses', () => {
  it('accepts single codes, ranges and lists', () => {
    expect(acceptsStatus('200', 200)).toBe(true);
    expect(acceptsStatus('200', 204)).toBe(false);
    expect(acceptsStatus('200-299', 299)).toBe(true);
    expect(acceptsStatus('200-299', 300)).toBe(false);
    expect(acceptsStatus('200, 204 ,300-302', 301)).toBe(true);
    expect(acceptsStatus('200,204,300-302', 303)).toBe(false);
    expect(acceptsStatus('nonsense', 200)).toBe(false);
  });
});
