import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

describe('configuration', () => {
  it('has defaults: embedded PostgreSQL, pg_trickle settings', () => {
    const config = loadConfig({}, {});
    expect(config.databases).toEqual([]);
    expect(config.embedded).toEqual({ dataDir: '.pgtrickle/data', port: 54329, database: 'pgtrickle' });
    expect(config.pg_trickle).toEqual({ enabled: true, scheduler_interval_ms: 1000, max_concurrent_refreshes: 4, tiered_scheduling: true });
    expect(Object.isFrozen(config) && Object.isFrozen(config.pg_trickle)).toBe(true);
  });

  it('layers file < environment < flags', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pgtrickle-config-'));
    const file = path.join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ databases: ['postgres://file/a'], logLevel: 'debug', pg_trickle: { scheduler_interval_ms: 500 } }));
    expect(loadConfig({ config: file }, {}).databases).toEqual(['postgres://file/a']);
    const fromEnv = loadConfig({ config: file }, { DATABASE_URL: 'postgres://env/b,postgres://env/c' });
    expect(fromEnv.databases).toEqual(['postgres://env/b', 'postgres://env/c']);
    expect(fromEnv.pg_trickle.scheduler_interval_ms).toBe(500);
    const fromFlags = loadConfig({ config: file, database: ['postgres://flag/d'], schedulerIntervalMs: 200 }, { DATABASE_URL: 'postgres://env/b' });
    expect(fromFlags.databases).toEqual(['postgres://flag/d']);
    expect(fromFlags.pg_trickle.scheduler_interval_ms).toBe(200);
    expect(fromFlags.logLevel).toBe('debug');
  });

  it('rejects bad values with the path and the problem', () => {
    expect(() => loadConfig({ schedulerIntervalMs: 5 }, {})).toThrow(/invalid configuration: pg_trickle\.scheduler_interval_ms: Too small/);
    expect(() => loadConfig({ database: ['mysql://x'] }, {})).toThrow(/invalid database URL 'mysql:\/\/x'/);
    expect(() => loadConfig({ config: '/no/such/file.json' }, {})).toThrow(/cannot read configuration file \/no\/such\/file\.json/);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pgtrickle-config-'));
    writeFileSync(path.join(dir, 'bad.json'), '{ nope');
    expect(() => loadConfig({ config: path.join(dir, 'bad.json') }, {})).toThrow(/is not valid JSON/);
    writeFileSync(path.join(dir, 'unknown.json'), JSON.stringify({ pg_trickle: { no_such_setting: 1 } }));
    expect(() => loadConfig({ config: path.join(dir, 'unknown.json') }, {})).toThrow(/pg_trickle: Unrecognized key/);
  });
});
