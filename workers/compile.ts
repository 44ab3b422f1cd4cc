/**
 * Piscina worker: runs the DVM compiler off the main thread (DESIGN D9).
 * Results cross the thread boundary as plain data, so an unsupported query
 * comes back as a value, not as an exception class.
 */
import { compile, initDvm, UnsupportedQueryError, type CompiledPlan, type CompileInput } from '../src/dvm/index.ts';

export type CompileOutcome =
  | { ok: true; plan: CompiledPlan }
  | { ok: false; unsupported: { code: string; construct: string; hint: string; location: number | null; message: string } };

let ready: Promise<void> | null = null;

export default async function compileTask(input: CompileInput): Promise<CompileOutcome> {
  ready ??= initDvm(); // the WASM parser loads once per thread
  await ready;
  try {
    return { ok: true, plan: compile(input) };
  } catch (raw) {
    if (raw instanceof UnsupportedQueryError) {
      return {
        ok: false,
        unsupported: { code: raw.code, construct: raw.construct, hint: raw.hint, location: raw.location, message: raw.message },
      };
    }
    throw raw;
  }
}
