/**
 * The product version, read from package.json (the one place it is written).
 * pg_trickle's own version, answered by `pgtrickle.version()` for scripts that
 * check it, is the SQL surface this product follows, not this number.
 */
import { readFileSync } from 'node:fs';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export const PRODUCT_VERSION: string = packageJson.version;
/** The pg_trickle release whose SQL API, catalog and CLI this product follows. */
export const PG_TRICKLE_VERSION = '0.14.0';

/** Compares two `major.minor.patch[-pre]` versions: negative, zero or positive. Pre-releases sort first. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core = '', pre] = v.split('-', 2);
    return { parts: core.split('.').map((n) => Number(n) || 0), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.parts[i] ?? 0) - (y.parts[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre < y.pre ? -1 : 1;
}
