import { describe, expect, it } from 'vitest';
import { effectiveTimeout } from '../../src/shared/rules.js';

describe('timeouts', () => {
  it('uses the timeout, or min(interval, 5)', () => {
    expect(effectiveTimeout({ interval: 10, timeout: 2 })).toBe(2);
    expect(effectiveTimeout({ interval: 10 })).toBe(5);
    expect(effectiveTimeout({ interval: 0.3 })).toBe(0.3);
  });
});
