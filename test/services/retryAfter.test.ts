import { retryAfterMs } from '../../services/retryAfter';

describe('Retry-After from the Bot Connector', () => {
  it.each([
    ['5', 5000],
    ['0', 0],
    ['Thu, 26 Nov 2026 10:00:30 GMT', 30_000],
    ['Thu, 26 Nov 2026 09:59:00 GMT', 0],
    ['soon', undefined],
    [undefined, undefined],
  ])('reads %p as %p ms', (value, expected) => {
    expect(retryAfterMs(value, Date.parse('2026-11-26T10:00:00Z'))).toBe(expected);
  });
});
