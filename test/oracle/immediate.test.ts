/** The IMMEDIATE oracle over the base grammar (immediate-runner.ts). */
import { BASE_GRAMMAR } from './generators.ts';
import { immediateOracle } from './immediate-runner.ts';

immediateOracle('the IMMEDIATE oracle', BASE_GRAMMAR, Number(process.env.PGTRICKLE_ORACLE_IMMEDIATE_CASES ?? 80), Number(process.env.PGTRICKLE_ORACLE_SEED ?? 20_261_124));
