/**
 * The soak runner, short: two databases, writers running, the oracle checked
 * twice against a coordinator process; it must end clean (exit 0). The long
 * run is `npm run soak -- --minutes 10`.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { adminUrl } from './helpers/db.ts';

const run = promisify(execFile);

describe('soak runner (smoke)', () => {
  it('keeps writers running, checks every stream table against its query, and reports clean', async () => {
    const script = path.resolve(import.meta.dirname, '../soak/run.ts');
    const { stdout } = await run('node', ['--import', 'tsx', script, '--databases', '2', '--tables', '3', '--seconds', '16', '--check-every', '7', '--rate', '15', '--admin-url', adminUrl()], {
      timeout: 100_000,
    });
    expect(stdout).toMatch(/check 1: 6 stream tables, 0 mismatches/);
    const report = JSON.parse(/report: (.*)$/m.exec(stdout)![1]!);
    expect(report).toMatchObject({ databases: 2, stream_tables: 6, problems: [] });
    expect(report.checks).toBeGreaterThanOrEqual(2);
    expect(report.writes).toBeGreaterThan(0);
    expect(stdout).toMatch(/clean: every stream table equalled its query at every check/);
  });
});
