import { nextCardRefresh, shownTimeLeft } from '../../../services/leads/leadTime';

const HOUR = 3_600_000;
const expiresAt = '2026-12-10T12:00:00.000Z';
const at = (hoursBeforeExpiry: number) => new Date(Date.parse(expiresAt) - hoursBeforeExpiry * HOUR);
/** A grid point: a second after the shown time left drops. */
const point = (hoursBeforeExpiry: number) => new Date(at(hoursBeforeExpiry).getTime() + 1000);
const lead = { expiresAt, stage: 'Received' as const };

describe('when a posted card next changes what it shows', () => {
  it.each([
    [13 * 24 + 5, 13 * 24],
    [13 * 24, 13 * 24],
    [72, 72],
    [71, 48],
    [49, 48],
    [48, 48],
    [47.5, 47],
    [1.5, 1],
  ])('%p h before expiry → %p h before expiry', (now, next) => {
    expect(nextCardRefresh(lead, at(now))?.toISOString()).toBe(point(next).toISOString());
  });

  it('stops at the last hour and for leads that are answered', () => {
    expect(nextCardRefresh(lead, at(0.5))).toBeUndefined();
    expect(nextCardRefresh({ ...lead, stage: 'Accepted' }, at(30))).toBeUndefined();
  });

  it('is on a fixed grid: the same step asked twice gives the same time', () => {
    expect(nextCardRefresh(lead, at(100.2))).toEqual(nextCardRefresh(lead, at(100.9)));
  });

  it('changes exactly where the shown time left changes', () => {
    for (const hours of [13 * 24 + 5, 72, 49, 30, 2]) {
      const now = at(hours);
      const next = nextCardRefresh(lead, now) as Date;
      expect(shownTimeLeft(lead, new Date(next.getTime() - 1001))).toBe(shownTimeLeft(lead, now));
      expect(shownTimeLeft(lead, next)).not.toBe(shownTimeLeft(lead, now));
    }
  });
});
