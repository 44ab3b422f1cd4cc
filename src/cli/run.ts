/**
 * What every one-shot command shares: stdout lines, the global options, one
 * connection per command, and the mapping of library errors to the CLI's
 * messages and exit codes (spec/tui-cli.md §4) — by class, never by text.
 */
import type { Command } from 'commander';
import type pg from 'pg';
import {
  CatalogMissingError,
  describeError,
  FunctionMissingError,
  NotFoundError,
  openConnection,
  UnsupportedRefreshModeError,
} from '../index.ts';
import { resolveConnectionString, type ConnectionFlags } from './connection.ts';
import type { Format } from './format.ts';

export type GlobalOptions = ConnectionFlags & { format: Format };

export const out = (line: string): void => {
  process.stdout.write(line + '\n');
};

/** A failure the CLI reports as is, with its exit code (2 = not found). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

/**
 * The command's options with the program's (connection flags come before the
 * subcommand); `--format` is the nearest one given — after the subcommand or
 * before it — else table.
 */
export function globals(cmd: Command): GlobalOptions {
  let format: Format | undefined;
  for (let c: Command | null = cmd; c && !format; c = c.parent) format = (c.opts() as { format?: Format }).format;
  return { ...(cmd.optsWithGlobals() as GlobalOptions), format: format ?? 'table' };
}

/** `pgtrickle fuse`: the command as the user typed it, for messages. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The message for a library error, as `error: <message>` will print it. */
export function toCliError(raw: unknown, cmd?: Command): unknown {
  if (raw instanceof CliError || raw instanceof UnsupportedRefreshModeError) return raw;
  if (raw instanceof NotFoundError) return new CliError(`not found: ${describeError(raw)}`, 2, { cause: raw });
  if (raw instanceof FunctionMissingError) {
    const who = cmd ? `\`${commandPath(cmd)}\`` : 'this command';
    return new CliError(`${who} needs pgtrickle.${raw.functionName}(), which this catalog does not have yet`, 1, { cause: raw });
  }
  if (raw instanceof CatalogMissingError) return new CliError(`query failed: ${raw.message}`, 1, { cause: raw });
  return new CliError(`query failed: ${describeError(raw)}`, 1, { cause: raw });
}

/** One connection for the command (spec §2), closed afterwards. */
export async function withClient<T>(cmd: Command, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await openConnection(resolveConnectionString(globals(cmd)), 'pgtrickle cli');
  try {
    return await fn(client);
  } catch (raw) {
    throw toCliError(raw, cmd);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Progress lines for long work, on stderr so stdout stays the result; only on a terminal unless forced. */
export function progress(line: string): void {
  if (process.stderr.isTTY || process.env.PGTRICKLE_PROGRESS === '1') process.stderr.write(line + '\n');
}
