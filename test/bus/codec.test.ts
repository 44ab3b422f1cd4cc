import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BusConfigError, InvalidMessageError, RefreshJob, busNames, createBus, decode, decodeToken, encode, encodeToken } from '../../src/bus/index.ts';

describe('subject token encoding', () => {
  it('keeps safe names, escapes everything else, and round-trips', () => {
    expect(encodeToken('app_db-1')).toBe('app_db-1');
    expect(encodeToken('my.db')).toBe('my=2Edb');
    expect(encodeToken('Sales DB')).toBe('Sales=20DB');
    expect(encodeToken('café')).toBe('caf=C3=A9');
    expect(encodeToken('a=b*>')).toBe('a=3Db=2A=3E');
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: 'binary' }), (s) => {
        const t = encodeToken(s);
        expect(t).toMatch(/^[A-Za-z0-9_=-]+$/);
        expect(decodeToken(t)).toBe(s);
      }),
    );
    expect(() => encodeToken('')).toThrow(BusConfigError);
  });

  it('names subjects, streams, consumer and buckets', () => {
    const n = busNames();
    expect(n.jobSubject('sales.db')).toBe('pgtrickle.jobs.sales=2Edb');
    expect(n.alertSubject('app', 'refresh_failed')).toBe('pgtrickle.alerts.app.refresh_failed');
    expect(n.alertFilter({ event: 'stale_data' })).toBe('pgtrickle.alerts.*.stale_data');
    expect([n.jobsStream, n.jobsConsumer, n.alertsStream, n.leaseBucket, n.nodeBucket]).toEqual([
      'PGTRICKLE_JOBS',
      'pgtrickle_workers',
      'PGTRICKLE_ALERTS',
      'pgtrickle_leases',
      'pgtrickle_nodes',
    ]);
    expect(() => busNames('Bad.NS')).toThrow(BusConfigError);
  });
});

describe('codec', () => {
  it('round-trips a job and strips unknown fields', () => {
    const j = { database: 'd', pgtId: 1, name: 'public.t', enqueuedAt: 5, extra: 1 };
    const { data } = encode(RefreshJob, 'RefreshJob', j);
    expect(decode(RefreshJob, 'RefreshJob', data)).toEqual({ database: 'd', pgtId: 1, name: 'public.t', enqueuedAt: 5 });
  });

  it('names the failing field', () => {
    expect(() => encode(RefreshJob, 'RefreshJob', { database: 'd', pgtId: 1.5, name: 'x', enqueuedAt: 1 })).toThrow(/invalid RefreshJob message: pgtId/);
    expect(() => decode(RefreshJob, 'RefreshJob', new Uint8Array([0xc1]))).toThrow(InvalidMessageError);
  });

  it('createBus validates its configuration', async () => {
    await expect(createBus({ kind: 'nats', url: '' } as never)).rejects.toBeInstanceOf(BusConfigError);
    await expect(createBus({ kind: 'local', leases: { ttlMs: -1 } })).rejects.toThrow(/leases.ttlMs/);
    const bus = await createBus();
    expect(bus.kind).toBe('local');
    await bus.close();
  });
});
