/**
 * What the scale benchmark reads from outside the processes it measures:
 * /proc (RSS, CPU time), the nodes' /metrics (Prometheus text) and /healthz.
 */
import { readFileSync, readdirSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** VmRSS of a process in MiB, or NaN when it is gone. */
export function rssMiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

interface Stat {
  ppid: number;
  /** utime + stime, seconds */
  own: number;
  /** cutime + cstime: reaped children, seconds */
  children: number;
}

function stat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: fields start after the last ')'
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is state (field 3): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17
    return {
      ppid: Number(fields[1]),
      own: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
      children: (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS,
    };
  } catch {
    return null;
  }
}

/** CPU seconds used by one process (all threads). */
export function cpuSeconds(pid: number): number {
  return stat(pid)?.own ?? Number.NaN;
}

/**
 * CPU seconds of a process tree one level deep: the process, its live
 * children, and the children it has reaped (the postmaster and its backends).
 */
export function treeCpuSeconds(pid: number): number {
  const root = stat(pid);
  if (!root) return Number.NaN;
  let total = root.own + root.children;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (s && s.ppid === pid) total += s.own;
  }
  return total;
}

/** Busy and total jiffies of the whole machine (every user of it, not only ours). */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (line[3] ?? 0) + (line[4] ?? 0);
  const total = line.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** The pid of a process whose command line contains every one of `parts`. */
export function findPid(parts: string[]): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (parts.every((p) => cmd.includes(p))) return Number(entry);
    } catch {
      // gone
    }
  }
  return null;
}

// ---------------------------------------------------------------------------
// Prometheus text format
// ---------------------------------------------------------------------------

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

export async function fetchMetrics(port: number): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`/metrics on port ${port}: HTTP ${res.status}`);
  return parseMetrics(await res.text());
}

export async function fetchHealth(port: number): Promise<{ status: number; body: { owned?: string[]; [k: string]: unknown } }> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: (await res.json()) as { owned?: string[] } };
}

/** Sum of a counter by one label, over every series. */
export function sumBy(samples: Sample[], name: string, label: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== name) continue;
    const key = s.labels[label] ?? '';
    out.set(key, (out.get(key) ?? 0) + s.value);
  }
  return out;
}

/** Cumulative histogram buckets (le → count) summed over every series of `name`. */
export function buckets(samples: Sample[], name: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket`) continue;
    const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    out.set(le, (out.get(le) ?? 0) + s.value);
  }
  return out;
}

export function subtractBuckets(after: Map<number, number>, before: Map<number, number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const [le, n] of after) out.set(le, n - (before.get(le) ?? 0));
  return out;
}

export function addBuckets(into: Map<number, number>, more: Map<number, number>): void {
  for (const [le, n] of more) into.set(le, (into.get(le) ?? 0) + n);
}

/**
 * A quantile from cumulative buckets, interpolated linearly inside the bucket
 * (as Prometheus' histogram_quantile does). Above the last finite bound it
 * returns that bound with a ">" marker.
 */
export function bucketQuantile(cumulative: Map<number, number>, q: number): { value: number; above: boolean } {
  const sorted = [...cumulative].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total <= 0) return { value: Number.NaN, above: false };
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return { value: prevLe, above: true };
      const inBucket = count - prevCount;
      return { value: inBucket > 0 ? prevLe + ((le - prevLe) * (rank - prevCount)) / inBucket : le, above: false };
    }
    prevLe = le;
    prevCount = count;
  }
  return { value: prevLe, above: true };
}
