import { describe, expect, it } from 'vitest';
import { backoffMs, isDue, parseDurationSeconds, parseSchedule, type DueInput } from '../src/schedule.ts';

const base = (over: Partial<DueInput>): DueInput => ({
  schedule: parseSchedule('10s'), lastRefreshAt: new Date('2026-01-01T00:00:00Z'), tier: 'hot', isPopulated: true,
  consecutiveErrors: 0, hasPendingChanges: false, tieredScheduling: true, ...over,
});
const at = (seconds: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + seconds * 1000);

describe('schedules', () => {
  it('parses durations like the SQL side', () => {
    expect(parseDurationSeconds('30')).toBe(30);
    expect(parseDurationSeconds('1h30m')).toBe(5400);
    expect(parseDurationSeconds('2w')).toBe(1_209_600);
    expect(parseDurationSeconds('5x')).toBeNull();
    expect(parseSchedule(null)).toEqual({ kind: 'calculated' });
    expect(parseSchedule('@hourly').kind).toBe('cron');
  });

  it('duration schedules are due after the interval times the tier multiplier', () => {
    expect(isDue(base({}), at(9))).toBe(false);
    expect(isDue(base({}), at(10))).toBe(true);
    expect(isDue(base({ tier: 'warm' }), at(19))).toBe(false);
    expect(isDue(base({ tier: 'cold' }), at(100))).toBe(true);
    expect(isDue(base({ tier: 'cold', tieredScheduling: false }), at(10))).toBe(true);
    expect(isDue(base({ tier: 'frozen' }), at(100_000))).toBe(false);
  });

  it('cron schedules are due at the next occurrence after the last refresh', () => {
    const hourly = base({ schedule: parseSchedule('0 * * * *') });
    expect(isDue(hourly, at(3599))).toBe(false);
    expect(isDue(hourly, at(3600))).toBe(true);
  });

  it('calculated schedules follow pending changes; unpopulated tables are always due', () => {
    expect(isDue(base({ schedule: parseSchedule(null) }), at(1))).toBe(false);
    expect(isDue(base({ schedule: parseSchedule(null), hasPendingChanges: true }), at(1))).toBe(true);
    expect(isDue(base({ isPopulated: false, lastRefreshAt: null }), at(0))).toBe(true);
  });

  it('failures back off exponentially, capped at a minute', () => {
    expect(backoffMs(0)).toBe(0);
    expect(backoffMs(1)).toBe(2000);
    expect(backoffMs(10)).toBe(60_000);
    expect(isDue(base({ schedule: parseSchedule('1s'), consecutiveErrors: 2 }), at(3))).toBe(false);
    expect(isDue(base({ schedule: parseSchedule('1s'), consecutiveErrors: 2 }), at(4))).toBe(true);
  });
});
