/**
 * The IMMEDIATE oracle over the base grammar (immediate-runner.ts), and over
 * issue 11's grammar (MIN/MAX, group rescan, set operations, TopK, windows):
 * PGTRICKLE_ORACLE_IMMEDIATE_CASES / PGTRICKLE_ORACLE_IMMEDIATE_II_CASES.
 */
import { BASE_GRAMMAR, type Grammar } from './generators.ts';
import { immediateOracle } from './immediate-runner.ts';

const SEED = Number(process.env.PGTRICKLE_ORACLE_SEED ?? 20_261_124);
const ISSUE_11: Grammar = { aggregates: true, setOps: true, topk: true, windows: true };

immediateOracle('the IMMEDIATE oracle', BASE_GRAMMAR, Number(process.env.PGTRICKLE_ORACLE_IMMEDIATE_CASES ?? 80), SEED);
immediateOracle(
  'the IMMEDIATE oracle, MIN/MAX / group-rescan aggregates / set operations / TopK / windows',
  ISSUE_11,
  Number(process.env.PGTRICKLE_ORACLE_IMMEDIATE_II_CASES ?? 60),
  SEED + 11,
);
