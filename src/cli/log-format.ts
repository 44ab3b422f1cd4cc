/**
 * Logs for people: on a terminal, pino's JSON lines are turned into one short
 * coloured line each (`12:03:04.120 INFO  refreshed  st=public.x ms=3`);
 * elsewhere (a pipe, a file, a container) or with `--log-format json` they
 * stay pino's JSON, for log shippers.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createLogger, type Logger } from '../index.ts';

export type LogFormat = 'auto' | 'pretty' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['auto', 'pretty', 'json'];

const LEVELS: Record<number, { label: string; colour: string }> = {
  10: { label: 'TRACE', colour: '\x1b[90m' },
  20: { label: 'DEBUG', colour: '\x1b[36m' },
  30: { label: 'INFO ', colour: '\x1b[32m' },
  40: { label: 'WARN ', colour: '\x1b[33m' },
  50: { label: 'ERROR', colour: '\x1b[31m' },
  60: { label: 'FATAL', colour: '\x1b[41m' },
};
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'app']);

function value(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  if (v && typeof v === 'object' && 'message' in v && 'type' in v) return JSON.stringify((v as { message: unknown }).message);
  return JSON.stringify(v);
}

/** One pino JSON line as a human line; `colour` false gives the same text without escapes. */
export function formatLogLine(json: string, colour: boolean): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const level = LEVELS[Number(record.level)] ?? { label: String(record.level).padEnd(5), colour: '' };
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 23) : '';
  const fields = Object.entries(record)
    .filter(([k]) => !OMIT.has(k))
    .map(([k, v]) => `${k}=${value(v)}`)
    .join(' ');
  const paint = (code: string, text: string) => (colour && code ? `${code}${text}${RESET}` : text);
  return `${paint(DIM, time)} ${paint(level.colour, level.label)} ${String(record.msg ?? '')}${fields ? '  ' + paint(DIM, fields) : ''}`;
}

class PrettyStream extends Writable {
  constructor(private readonly target: NodeJS.WriteStream, private readonly colour: boolean) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    const lines = String(chunk).split('\n').filter(Boolean);
    this.target.write(lines.map((l) => formatLogLine(l, this.colour)).join('\n') + '\n');
    done();
  }
}

/** `auto`: pretty when stderr is a terminal, JSON otherwise. NO_COLOR turns colour off. */
export function createCliLogger(level: string, format: LogFormat = (process.env.PGTRICKLE_LOG_FORMAT as LogFormat | undefined) ?? 'auto'): Logger {
  const pretty = format === 'pretty' || (format === 'auto' && process.stderr.isTTY === true);
  if (!pretty) return createLogger(level);
  const colour = process.stderr.isTTY === true && !process.env.NO_COLOR;
  return pino({ level, base: { app: 'pgtrickle' } }, new PrettyStream(process.stderr, colour));
}
