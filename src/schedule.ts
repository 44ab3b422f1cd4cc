/**
 * Schedules as the scheduler reads them (spec/architecture.md §9.3). The SQL
 * side (`pgtrickle._normalize_schedule`) validates at create/alter time; this
 * side decides due-ness.
 */
import { Cron } from 'croner';

export type Schedule =
  | { kind: 'calculated' }
  | { kind: 'duration'; seconds: number }
  | { kind: 'cron'; expression: string; cron: Cron };

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Bare integer = seconds; otherwise groups like `1h30m`. null if not a duration. */
export function parseDurationSeconds(text: string): number | null {
  const v = text.trim();
  if (/^\d+$/.test(v)) return Number(v);
  if (!/^(\d+[smhdw])+$/.test(v)) return null;
  let total = 0;
  for (const m of v.matchAll(/(\d+)([smhdw])/g)) total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
  return total;
}

export function parseSchedule(stored: string | null): Schedule {
  if (stored === null || stored.trim().toLowerCase() === 'calculated') return { kind: 'calculated' };
  const text = stored.trim();
  if (text.startsWith('@') || /\s/.test(text)) {
    return { kind: 'cron', expression: text, cron: new Cron(text, { paused: true }) };
  }
  const seconds = parseDurationSeconds(text);
  if (seconds === null) throw new Error(`invalid schedule '${stored}'`);
  return { kind: 'duration', seconds };
}

/** Duration-schedule multipliers; frozen tables are never scheduled. */
export const TIER_MULTIPLIER: Record<string, number> = { hot: 1, warm: 2, cold: 10 };

export interface DueInput {
  schedule: Schedule;
  lastRefreshAt: Date | null;
  tier: string;
  isPopulated: boolean;
  consecutiveErrors: number;
  /** calculated schedules: unconsumed changes exist upstream */
  hasPendingChanges: boolean;
  tieredScheduling: boolean;
}

/** Retry back-off after failures: 1 s × 2^errors, capped at 60 s. */
export function backoffMs(consecutiveErrors: number): number {
  return consecutiveErrors <= 0 ? 0 : Math.min(60_000, 1000 * 2 ** consecutiveErrors);
}

export function isDue(input: DueInput, now: Date): boolean {
  if (input.tieredScheduling && input.tier === 'frozen') return false;
  const multiplier = input.tieredScheduling ? TIER_MULTIPLIER[input.tier] ?? 1 : 1;
  if (!input.isPopulated || input.lastRefreshAt === null) return true;
  const sinceLast = now.getTime() - input.lastRefreshAt.getTime();
  if (sinceLast < backoffMs(input.consecutiveErrors)) return false;
  switch (input.schedule.kind) {
    case 'calculated':
      return input.hasPendingChanges;
    case 'duration':
      return sinceLast >= input.schedule.seconds * 1000 * multiplier;
    case 'cron': {
      const next = input.schedule.cron.nextRun(input.lastRefreshAt);
      return next !== null && next.getTime() <= now.getTime();
    }
  }
}
