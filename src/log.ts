import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stderr, so stdout stays free for command output. */
export function createLogger(level: string = process.env.PGTRICKLE_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { app: 'pgtrickle' } }, pino.destination(2));
}

export const silentLogger: Logger = pino({ level: 'silent' });
