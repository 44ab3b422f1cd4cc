/**
 * The IMMEDIATE oracle over the breadth grammar (issue 10): outer joins,
 * sublinks and scalar subqueries maintained inside the writing statements.
 * PGTRICKLE_ORACLE_BREADTH_IMMEDIATE_CASES raises the number of cases.
 */
import { BREADTH_GRAMMAR } from './generators.ts';
import { immediateOracle } from './immediate-runner.ts';

immediateOracle(
  'the IMMEDIATE oracle, outer joins / sublinks / scalar subqueries',
  BREADTH_GRAMMAR,
  Number(process.env.PGTRICKLE_ORACLE_BREADTH_IMMEDIATE_CASES ?? 150),
  Number(process.env.PGTRICKLE_ORACLE_SEED ?? 20_261_124) + 500_000,
);
