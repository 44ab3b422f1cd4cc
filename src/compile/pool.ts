/**
 * The compiler pool: DVM compiles run in worker threads (DESIGN D9), so
 * parsing a large query never stalls the scheduler or the LISTEN connections.
 */
import { Piscina } from 'piscina';
import type { CompileInput } from '../dvm/index.ts';
import type { CompileOutcome } from '../../workers/compile.ts';

const WORKER = new URL('../../workers/compile.ts', import.meta.url).href;

export class CompilerPool {
  private readonly pool: Piscina;

  /** `worker`: another worker module (tests use one that crashes). */
  constructor(options: { threads?: number; worker?: string } = {}) {
    this.pool = new Piscina({
      filename: options.worker ?? WORKER,
      // The worker is TypeScript: load it through tsx, as the CLI does.
      execArgv: ['--import', 'tsx'],
      minThreads: 0,
      maxThreads: options.threads ?? 1,
      idleTimeout: 60_000,
    });
  }

  /**
   * Compiles in a worker thread. A crashed thread is replaced by piscina; its
   * task is retried once on the new thread before the error is reported.
   */
  async compile(input: CompileInput): Promise<CompileOutcome> {
    try {
      return (await this.pool.run(input)) as CompileOutcome;
    } catch (first) {
      if (!isWorkerCrash(first)) throw first;
      return (await this.pool.run(input)) as CompileOutcome;
    }
  }

  /** Share of the threads busy, 0..1 (piscina's utilization). */
  get utilization(): number {
    return this.pool.utilization;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

export type { CompileOutcome };

/** A thread that exited or was terminated, as opposed to an error thrown by the compiler. */
function isWorkerCrash(raw: unknown): boolean {
  const message = raw instanceof Error ? raw.message : String(raw);
  return /worker (exited|terminated)|terminating worker thread/i.test(message);
}
