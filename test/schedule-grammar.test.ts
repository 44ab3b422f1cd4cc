/**
 * One schedule grammar on both sides: every schedule the SQL API accepts is one
 * the coordinator's scheduler can run (src/schedule.ts, croner). A cron
 * expression the SQL side stored but the scheduler could not read used to
 * leave the stream table silently never refreshed (`*\/0 * * * *`, `5-1 * * * *`).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDurationSeconds, parseSchedule } from '../src/schedule.ts';
import { freshDatabase, type TestDatabase } from './helpers/db.ts';

describe('schedule grammar: SQL API and scheduler agree', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => db.drop());

  const sqlAccepts = async (schedule: string): Promise<boolean> => {
    try {
      await db.query('SELECT pgtrickle._normalize_schedule($1)', [schedule]);
      return true;
    } catch (raw) {
      expect((raw as { code?: string }).code, schedule).toBe('22023');
      return false;
    }
  };
  const schedulerAccepts = (schedule: string): boolean => {
    try {
      parseSchedule(schedule);
      return true;
    } catch {
      return false;
    }
  };

  it.each(['*/0 * * * *', '5-1 * * * *', '1-59/0 * * * *', '0 0 * * fri-mon', '0 0 * dec-jan *', '0 0 15W * *', '0-59/61 * * * *',
    '0 0 0 * *', '0 0 * * 8', '0 0 * * 1#6', '@reboot', '1 2 3 4 5 6 7', 'L * * * *'])(
    'both refuse %s', async (schedule) => {
      expect(await sqlAccepts(schedule)).toBe(false);
      expect(schedulerAccepts(schedule)).toBe(false);
    });

  it.each(['*/5 * * * *', '0 0 * * 0', '0 0 * * 7', '0 0 L * *', '0 0 * * 5#3', '0 0 * * 7L', '0 0 ? * *', '0 0 * jan-mar *',
    '0 0 * * mon-fri', '0 0 1,15 * *', '30 */2 * * * *', '@hourly', '@daily', '5/10 * * * *', '*/60 * * * *'])(
    'both accept %s', async (schedule) => {
      expect(await sqlAccepts(schedule)).toBe(true);
      expect(schedulerAccepts(schedule)).toBe(true);
    });

  const cronPart = fc.oneof(
    fc.constantFrom('*', '?', 'L', 'mon', 'fri', 'jan', 'dec', 'sun'),
    fc.integer({ min: 0, max: 70 }).map(String),
    fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 })).map(([a, b]) => `${a}-${b}`),
    fc.tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 7 })).map(([a, b]) => `${a}#${b}`),
    fc.integer({ min: 0, max: 8 }).map((a) => `${a}L`),
  );
  const cronField = fc
    .tuple(fc.array(cronPart, { minLength: 1, maxLength: 2 }), fc.option(fc.integer({ min: 0, max: 70 }), { freq: 3 }))
    .map(([parts, step]) => parts.join(',') + (step === null ? '' : `/${step}`));
  // Mostly '*', so that whole expressions are often valid and the property has cases to check.
  const field = fc.oneof({ arbitrary: fc.constant('*'), weight: 3 }, { arbitrary: cronField, weight: 1 });
  const cron = fc.array(field, { minLength: 5, maxLength: 6 }).map((f) => f.join(' '));

  it('every random cron expression the SQL side accepts, the scheduler reads (400 cases)', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(cron, async (expression) => {
        if (await sqlAccepts(expression)) {
          accepted++;
          expect(schedulerAccepts(expression), expression).toBe(true);
        }
      }),
      { numRuns: 400, seed: 4242 },
    );
    expect(accepted).toBeGreaterThan(40); // the generator reaches accepted expressions too
  });

  it('durations: both sides read the same number of seconds', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.integer({ min: 1, max: 10_000 }).map(String),
          fc.array(fc.tuple(fc.integer({ min: 1, max: 99 }), fc.constantFrom('s', 'm', 'h', 'd', 'w')), { minLength: 1, maxLength: 3 })
            .map((groups) => groups.map(([n, u]) => `${n}${u}`).join(''))),
        async (duration) => {
          const [row] = await db.query<{ s: string | null }>('SELECT pgtrickle.parse_duration_seconds($1) AS s', [duration]);
          expect(parseDurationSeconds(duration), duration).toBe(row!.s === null ? null : Number(row!.s));
          expect(await sqlAccepts(duration)).toBe(schedulerAccepts(duration));
        },
      ),
      { numRuns: 200, seed: 77 },
    );
  });
});
