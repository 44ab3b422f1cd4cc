/**
 * Polls `check` until it returns a truthy value or `timeoutMs` passes (then
 * throws with `what`). A check that never returns counts against the same
 * deadline, and the error says so: a hang is reported where it happened
 * instead of as the test runner's anonymous test timeout.
 */
const HUNG = Symbol('hung');

export async function waitFor<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<typeof HUNG>((resolve) => {
      timer = setTimeout(() => resolve(HUNG), Math.max(0, deadline - Date.now()));
    });
    try {
      const value = await Promise.race([check(), hung]);
      if (value === HUNG) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: a check did not return`);
      }
      if (value) return value;
    } catch (raw) {
      if (raw instanceof Error && raw.message.includes('a check did not return')) throw raw;
      last = raw;
    } finally {
      clearTimeout(timer);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}
