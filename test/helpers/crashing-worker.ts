/**
 * A compile worker that kills its own thread on the first task it sees for a
 * marker file, and answers normally once the marker exists: what a compiler
 * crash (out of memory, a WASM abort) looks like to the pool.
 */
import { existsSync, writeFileSync } from 'node:fs';
import compileTask from '../../workers/compile.ts';
import type { CompileInput } from '../../src/dvm/index.ts';

export default async function crashOnce(input: CompileInput & { marker: string }) {
  if (!existsSync(input.marker)) {
    writeFileSync(input.marker, 'crashed once');
    process.exit(1); // in a worker thread: ends the thread, not the process
  }
  return compileTask(input);
}
