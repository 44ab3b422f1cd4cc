/**
 * DVM compiler: defining query + catalog snapshot → plan (FULL and
 * DIFFERENTIAL statements). Pure and synchronous once `initDvm()` has loaded
 * the WASM parser; safe to run in worker threads.
 */
export { initDvm } from './ast.ts';
export { compile, COMPILER_VERSION, type CompileOptions, type PassName } from './pipeline.ts';
export { explainPlan } from './explain.ts';
export { UnsupportedQueryError, DvmInternalError, UNSUPPORTED, type UnsupportedCode } from './errors.ts';
export type { CompileInput, CompileSource, CompiledPlan, SourceColumn, HiddenColumn, Strategy } from './types.ts';
