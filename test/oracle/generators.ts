/**
 * Random cases for the DIFFERENTIAL oracle: a schema (1–3 tables, with and
 * without primary keys, composite keys), initial data, a defining query from
 * the grammar the DVM compiler supports, and rounds of DML.
 *
 * Every choice goes through `Rand`, which fast-check drives (`fc.gen()`), so
 * a failing case shrinks: every draw shrinks towards its minimum, and every
 * draw is arranged so that the minimum is the *simpler* choice (fewer rows,
 * fewer statements, the first alternative, an optional feature left out).
 *
 * Value domains are tiny on purpose (ints 0–3, three strings, four numerics,
 * NULL often): duplicate rows, NULL join and group keys, group collisions and
 * rows moving between groups happen in almost every case.
 *
 * Numeric literals all have scale 1 and no generated expression changes a
 * numeric's scale (no casts to numeric, no division), because equal numerics
 * with different scales (1.0 vs 1.00) hash differently — a documented limit
 * of the compiler, not what this oracle looks for.
 */
import type fc from 'fast-check';

// ───────────────────────────── randomness ─────────────────────────────

export interface Rand {
  /** Uniform in [min, max]; shrinks towards min. */
  int(min: number, max: number): number;
  /** True with probability p; shrinks towards false. */
  chance(p: number): boolean;
  /** One of `xs`; shrinks towards the first. */
  pick<T>(xs: readonly T[]): T;
}

export function randOf(g: fc.GeneratorValue, fcs: { integer: typeof fc.integer; noBias: typeof fc.noBias }): Rand {
  const int = (min: number, max: number): number => (max <= min ? min : g(fcs.integer, { min, max }));
  // Unbiased: fast-check favours the ends of a range, which would make a 2% choice fire far more often.
  const uniform = (min: number, max: number): number => g(() => fcs.noBias(fcs.integer({ min, max })));
  return {
    int,
    chance: (p) => uniform(0, 999) >= Math.round((1 - p) * 1000),
    pick: (xs) => xs[int(0, xs.length - 1)]!,
  };
}

/** A seeded Rand without fast-check (for scripts and quick experiments). */
export function seededRand(seed: number): Rand {
  let s = (Math.imul(seed, 0x9e3779b1) ^ 0x5bd1e995) >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x1_0000_0000;
  };
  const int = (min: number, max: number): number => (max <= min ? min : min + Math.floor(next() * (max - min + 1)));
  return { int, chance: (p) => next() < p, pick: (xs) => xs[int(0, xs.length - 1)]! };
}

// ───────────────────────────── schema ─────────────────────────────

/**
 * `avg` is the numeric an AVG returns: its scale varies with the value
 * (16 + leading zeros), so it is kept apart from the scale-1 `numeric` and
 * never summed or averaged again (see the known limit in docs/DVM_OPERATORS.md:
 * stored SUM/AVG state keeps the largest scale ever seen).
 */
export type ColType = 'int' | 'text' | 'numeric' | 'bool' | 'avg';

const SQL_TYPE: Record<ColType, string> = { int: 'integer', text: 'text', numeric: 'numeric', bool: 'boolean', avg: 'numeric' };

export interface Column {
  readonly name: string;
  readonly type: ColType;
  readonly notNull: boolean;
}

export interface Table {
  readonly name: string;
  readonly columns: readonly Column[];
  /** null = keyless */
  readonly pk: readonly string[] | null;
}

export interface Schema {
  readonly tables: readonly Table[];
}

const VALUES: Record<ColType, readonly string[]> = {
  int: ['0', '1', '2', '3'],
  text: ["'a'", "'b'", "'c'"],
  numeric: ['1.5', '0.5', '2.0', '-1.0'],
  bool: ['true', 'false'],
  avg: ['1.5000000000000000', '0.50000000000000000', '2.0000000000000000'],
};

const EXTRA_TYPES: readonly ColType[] = ['int', 'text', 'numeric', 'bool'];
const EXTRA_PREFIX: Record<ColType, string> = { int: 'i', text: 's', numeric: 'n', bool: 'b', avg: 'v' };

function genTable(r: Rand, name: string): Table {
  const columns: Column[] = [];
  const keyShape = r.pick(['none', 'single', 'composite'] as const);
  let pk: string[] | null = null;
  if (keyShape === 'single') {
    columns.push({ name: 'id', type: 'int', notNull: true });
    pk = ['id'];
  } else if (keyShape === 'composite') {
    columns.push({ name: 'id', type: 'int', notNull: true }, { name: 'tag', type: 'text', notNull: true });
    pk = ['id', 'tag'];
  }
  // Every table has a nullable int `k`: the usual join and group key.
  columns.push({ name: 'k', type: 'int', notNull: false });
  const extras = r.int(1, 3);
  const used = new Map<ColType, number>();
  for (let i = 0; i < extras; i++) {
    const type = r.pick(EXTRA_TYPES);
    const n = (used.get(type) ?? 0) + 1;
    used.set(type, n);
    columns.push({ name: `${EXTRA_PREFIX[type]}${n}`, type, notNull: false });
  }
  return { name, columns, pk };
}

export function genSchema(r: Rand): Schema {
  const n = r.int(1, 3);
  return { tables: ['a', 'b', 'c'].slice(0, n).map((name) => genTable(r, name)) };
}

export function tableDdl(t: Table): string {
  const cols = t.columns.map((c) => `${c.name} ${SQL_TYPE[c.type]}${c.notNull ? ' NOT NULL' : ''}`);
  if (t.pk) cols.push(`PRIMARY KEY (${t.pk.join(', ')})`);
  return `CREATE TABLE ${t.name} (${cols.join(', ')})`;
}

// ───────────────────────────── values and rows ─────────────────────────────

function genValue(r: Rand, c: Column): string {
  if (c.name === 'id') return String(r.int(1, 6));
  if (c.name === 'tag') return r.pick(["'x'", "'y'"]);
  if (!c.notNull && r.chance(0.2)) return 'NULL';
  return r.pick(VALUES[c.type]);
}

function genRow(r: Rand, t: Table): string {
  return `(${t.columns.map((c) => genValue(r, c)).join(', ')})`;
}

function insertRows(t: Table, rows: readonly string[], onConflict: string): string {
  return `INSERT INTO ${t.name} (${t.columns.map((c) => c.name).join(', ')}) VALUES ${rows.join(', ')}${t.pk ? ` ${onConflict}` : ''}`;
}

export function genInitialData(r: Rand, schema: Schema): string[] {
  return schema.tables.flatMap((t) => {
    const n = r.int(0, 8);
    if (n === 0) return [];
    return [insertRows(t, Array.from({ length: n }, () => genRow(r, t)), 'ON CONFLICT DO NOTHING')];
  });
}

// ───────────────────────────── expressions ─────────────────────────────

/** A column visible in a query scope: its SQL reference and its type. */
export interface ScopeCol {
  readonly ref: string;
  readonly type: ColType;
}

function colsOf(scope: readonly ScopeCol[], type: ColType): ScopeCol[] {
  return scope.filter((c) => c.type === type);
}

function literal(r: Rand, type: ColType): string {
  if (r.chance(0.08)) return `NULL::${SQL_TYPE[type]}`;
  return r.pick(VALUES[type]);
}

/** An expression of `type` over `scope` (never errors at run time, never changes a numeric's scale). */
export function genExpr(r: Rand, scope: readonly ScopeCol[], type: ColType, depth: number): string {
  const cols = colsOf(scope, type);
  const leaf = (): string => (cols.length && !r.chance(0.15) ? r.pick(cols).ref : literal(r, type));
  if (depth <= 0 || !r.chance(0.35)) return leaf();
  return `(${compound(r, scope, type, depth)})`;
}

function compound(r: Rand, scope: readonly ScopeCol[], type: ColType, depth: number): string {
  const sub = (t: ColType): string => genExpr(r, scope, t, depth - 1);
  switch (type) {
    case 'int':
      return r.pick([
        () => `${sub('int')} + ${sub('int')}`,
        () => `${sub('int')} * 2`,
        () => `${sub('int')} - 1`,
        () => `COALESCE(${sub('int')}, ${r.pick(VALUES.int)})`,
        () => `CASE WHEN ${genPred(r, scope, depth - 1)} THEN ${sub('int')} ELSE ${sub('int')} END`,
        () => `(${sub('numeric')})::integer`,
        () => `length(${sub('text')})`,
        () => `abs(${sub('int')})`,
        () => `CASE ${sub('int')} WHEN 1 THEN 10 WHEN 2 THEN 20 END`,
        () => `NULLIF(${sub('int')}, ${r.pick(VALUES.int)})`,
        () => `${r.pick(['GREATEST', 'LEAST'])}(${sub('int')}, ${sub('int')})`,
      ])();
    case 'numeric':
      return r.pick([
        () => `${sub('numeric')} + ${sub('int')}`,
        () => `${sub('numeric')} * ${r.pick(['2', '-1'])}`,
        () => `COALESCE(${sub('numeric')}, ${r.pick(VALUES.numeric)})`,
        () => `CASE WHEN ${genPred(r, scope, depth - 1)} THEN ${sub('numeric')} ELSE ${sub('numeric')} END`,
        () => `abs(${sub('numeric')})`,
      ])();
    case 'avg':
      return r.pick([
        () => `COALESCE(${sub('avg')}, ${r.pick(VALUES.avg)})`,
        () => `CASE WHEN ${genPred(r, scope, depth - 1)} THEN ${sub('avg')} ELSE ${sub('avg')} END`,
        () => `abs(${sub('avg')})`,
      ])();
    case 'text':
      return r.pick([
        () => `${sub('text')} || 'x'`,
        () => `upper(${sub('text')})`,
        () => `COALESCE(${sub('text')}, 'z')`,
        () => `(${sub('int')})::text`,
        () => `CASE WHEN ${genPred(r, scope, depth - 1)} THEN ${sub('text')} ELSE 'other' END`,
        () => `substr(${sub('text')}, 1, 1)`,
      ])();
    case 'bool':
      return genPred(r, scope, depth - 1);
  }
}

const CMP = ['=', '<>', '<', '<=', '>', '>='] as const;

/** A boolean condition over `scope`. */
export function genPred(r: Rand, scope: readonly ScopeCol[], depth: number): string {
  const types = [...new Set(scope.map((c) => c.type))];
  const type = types.length ? r.pick(types) : 'int';
  const e = (t: ColType = type): string => genExpr(r, scope, t, Math.max(0, depth - 1));
  const bools = colsOf(scope, 'bool');
  const atoms = [
    () => (bools.length ? r.pick(bools).ref : `${e()} IS NULL`),
    () => `${e()} ${r.pick(type === 'bool' ? (['=', '<>'] as const) : CMP)} ${type === 'bool' ? e() : literal(r, type)}`,
    () => `${e()} IS NULL`,
    () => `${e()} IS NOT NULL`,
    () => `${e()} ${r.pick(CMP)} ${e()}`,
    () => `${e()} IS DISTINCT FROM ${e()}`,
    () => (type === 'bool' ? `${e()} IS TRUE` : `${e()} IN (${literal(r, type)}, ${literal(r, type)})`),
    () => (type === 'int' || type === 'numeric' || type === 'avg' ? `${e()} BETWEEN ${r.pick(VALUES[type])} AND ${r.pick(VALUES[type])}` : `${e()} IS NOT NULL`),
    () => (type === 'text' ? `${e()} LIKE '${r.pick(['a', 'b'])}%'` : `${e()} IS NULL`),
  ];
  if (depth <= 0 || !r.chance(0.3)) return r.pick(atoms)();
  return r.pick([
    () => `(${genPred(r, scope, depth - 1)}) AND (${genPred(r, scope, depth - 1)})`,
    () => `(${genPred(r, scope, depth - 1)}) OR (${genPred(r, scope, depth - 1)})`,
    () => `NOT (${genPred(r, scope, depth - 1)})`,
    () => `COALESCE(${genPred(r, scope, depth - 1)}, false)`,
  ])();
}

// ───────────────────────────── queries ─────────────────────────────

export interface OutCol {
  readonly name: string;
  readonly type: ColType;
}

export interface GenQuery {
  readonly sql: string;
  readonly cols: readonly OutCol[];
}

/**
 * Grammar beyond the base (issue 11), switched on per oracle suite so the
 * base suites keep generating exactly the cases their seeds always did.
 */
export interface Features {
  /** MIN/MAX and group-rescan aggregates (STRING_AGG, ARRAY_AGG, DISTINCT, WITHIN GROUP, …). */
  readonly aggregates?: boolean;
  /** UNION, INTERSECT [ALL], EXCEPT [ALL], nested and mixed with UNION ALL. */
  readonly setOps?: boolean;
  /** ORDER BY … LIMIT n [OFFSET m] / FETCH FIRST … WITH TIES at the top. */
  readonly topk?: boolean;
  /** Window functions (ranking, offset, aggregates OVER, frames), also over aggregates and in expressions. */
  readonly windows?: boolean;
}

export const NO_FEATURES: Features = {};

interface Cte {
  readonly name: string;
  readonly cols: readonly OutCol[];
}

/**
 * Grammar groups beyond select-project-join-aggregate (issue 10): outer joins
 * (LEFT/RIGHT/FULL, mixed with inner joins, any ON), sublinks in WHERE
 * ([NOT] EXISTS, [NOT] IN, op ANY/ALL, NOT … ALL; correlated or not, nested)
 * and scalar subqueries (WHERE, SELECT list, HAVING; correlated by equality),
 * plus the issue-11 groups of `Features`. A group left out is off.
 */
export interface Grammar extends Features {
  readonly outerJoins?: boolean;
  readonly sublinks?: boolean;
  readonly scalars?: boolean;
}

export const BASE_GRAMMAR: Grammar = { outerJoins: false, sublinks: false, scalars: false };
export const BREADTH_GRAMMAR: Grammar = { outerJoins: true, sublinks: true, scalars: true };

class QueryGen {
  private alias = 0;
  private ctes: Cte[] = [];
  /** Table references left: keeps cross products and plans small. */
  private budget = 5;

  constructor(
    private readonly r: Rand,
    private readonly schema: Schema,
    private readonly prefer: Table | null = null,
    private readonly grammar: Grammar = BASE_GRAMMAR,
  ) {
    if (grammar.sublinks || grammar.scalars) this.budget = 6;
  }

  private nextAlias(prefix: string): string {
    this.alias += 1;
    return `${prefix}${this.alias}`;
  }

  top(): GenQuery {
    const r = this.r;
    const withParts: string[] = [];
    if (r.chance(0.2)) {
      const n = r.int(1, 2);
      for (let i = 0; i < n; i++) {
        const name = `w${i + 1}`;
        const body = this.query(1, null);
        withParts.push(`${name} AS (${body.sql})`);
        this.ctes.push({ name, cols: body.cols });
      }
    }
    const q = this.query(2, null);
    const order = this.grammar.topk && r.chance(0.7) ? this.topkClause(q.cols) : '';
    return { sql: `${withParts.length ? `WITH ${withParts.join(', ')} ` : ''}${q.sql}${order}`, cols: q.cols };
  }

  /**
   * A TopK clause whose result is deterministic (the oracle compares with the
   * query itself): LIMIT orders by every output column (a total order up to
   * equal rows); WITH TIES may order by a prefix.
   */
  private topkClause(cols: readonly OutCol[]): string {
    const r = this.r;
    const idx = cols.map((_, i) => i);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = r.int(0, i);
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    const withTies = r.chance(0.25);
    const used = withTies ? idx.slice(0, r.int(1, idx.length)) : idx;
    const keys = used.map((i) => `${r.chance(0.5) ? String(i + 1) : cols[i]!.name}${r.pick(['', ' DESC', ' ASC NULLS FIRST', ' DESC NULLS LAST'])}`);
    const n = r.pick([1, 2, 3, 5]);
    if (withTies) return ` ORDER BY ${keys.join(', ')} FETCH FIRST ${n} ROWS WITH TIES`;
    return ` ORDER BY ${keys.join(', ')} LIMIT ${n}${r.chance(0.3) ? ` OFFSET ${r.int(1, 2)}` : ''}`;
  }

  /** A query: one SELECT, or a UNION ALL of 2–3. `want` forces the output types. */
  query(depth: number, want: readonly ColType[] | null): GenQuery {
    const r = this.r;
    if (this.grammar.setOps && this.budget >= 2 && r.chance(0.5)) return this.setOperation(depth, want);
    if (want === null && this.budget >= 2 && r.chance(0.15)) {
      const first = this.select(depth, null);
      const types = first.cols.map((c) => c.type);
      const rest = Array.from({ length: r.int(1, 2) }, () => this.select(depth, types));
      return { sql: [first, ...rest].map((q) => q.sql).join(' UNION ALL '), cols: first.cols };
    }
    return this.select(depth, want);
  }

  /** `(A) op (B) [op (C)]`: arms are SELECTs or nested set operations, parenthesised. */
  private setOperation(depth: number, want: readonly ColType[] | null): GenQuery {
    const r = this.r;
    const first = this.select(depth, want);
    const types = first.cols.map((c) => c.type);
    let sql = `(${first.sql})`;
    const n = r.int(1, this.budget >= 3 ? 2 : 1);
    for (let i = 0; i < n; i++) {
      const op = r.pick(['UNION', 'INTERSECT', 'EXCEPT', 'UNION ALL', 'INTERSECT ALL', 'EXCEPT ALL'] as const);
      const arm = this.budget >= 2 && r.chance(0.2) ? this.setOperation(depth, types) : this.select(depth, types);
      sql = r.chance(0.3) ? `(${arm.sql}) ${op} ${sql}` : `${sql} ${op} (${arm.sql})`;
    }
    return { sql, cols: first.cols };
  }

  private select(depth: number, want: readonly ColType[] | null): GenQuery {
    const r = this.r;
    const from = this.from(depth);
    const where = r.chance(0.5) || from.pending.length ? [...from.pending, ...(r.chance(0.5) ? [genPred(r, from.scope, 2)] : [])] : [];
    if (this.grammar.sublinks && this.budget >= 1 && r.chance(0.6)) where.push(this.sublinkPred(from.scope, depth));
    if (this.grammar.scalars && this.budget >= 1 && r.chance(0.25)) where.push(this.scalarPred(from.scope));
    const whereSql = where.length ? ` WHERE ${where.map((w) => `(${w})`).join(' AND ')}` : '';
    if (r.chance(this.grammar.aggregates ? 0.7 : 0.4)) return this.grouped(from, whereSql, want);
    // Not on a stream table: its `*` includes the hidden __pgt_ columns.
    if (want === null && from.single?.table && from.single.table.name !== 'up' && r.chance(0.1)) {
      // `alias.*`: the table's own column names become the output names.
      const alias = from.single.scope[0]!.ref.split('.')[0]!;
      return { sql: `SELECT ${alias}.* FROM ${from.sql}${whereSql}`, cols: from.single.table.columns.map((c) => ({ name: c.name, type: c.type })) };
    }
    const n = want ? want.length : r.int(1, 4);
    const items: string[] = [];
    const cols: OutCol[] = [];
    for (let i = 0; i < n; i++) {
      const type = want ? want[i]! : this.someType(from.scope);
      const w = this.grammar.windows && (type === 'int' || (want === null && r.chance(0.5))) && r.chance(0.6) ? this.windowCall(from) : null;
      if (w) {
        items.push(`${w} AS o${i + 1}`);
        cols.push({ name: `o${i + 1}`, type: 'int' });
        continue;
      }
      const scalar = this.grammar.scalars && type === 'int' && this.budget >= 1 && r.chance(0.2);
      items.push(`${scalar ? this.scalarSubquery(from.scope, true) : genExpr(r, from.scope, type, r.chance(0.3) ? 2 : 0)} AS o${i + 1}`);
      cols.push({ name: `o${i + 1}`, type });
    }
    const distinct = r.chance(0.2) ? 'DISTINCT ' : '';
    return { sql: `SELECT ${distinct}${items.join(', ')} FROM ${from.sql}${whereSql}`, cols };
  }

  /**
   * An integer-valued window call. Functions that depend on the order of
   * peers get the table's primary key in their ORDER BY (the compiler
   * requires it, and the oracle needs a deterministic query).
   */
  private windowCall(from: FromClause): string {
    const r = this.r;
    const scope = from.scope.filter((c) => c.type !== 'avg');
    const ints = colsOf(scope, 'int');
    if (!scope.length) return 'count(*) OVER ()';
    const part = r.chance(0.6) ? `PARTITION BY ${r.pick(scope).ref}${r.chance(0.2) ? `, ${r.pick(scope).ref}` : ''} ` : '';
    const dir = (): string => r.pick(['', ' DESC', ' NULLS FIRST', ' DESC NULLS LAST']);
    const ord = `ORDER BY ${r.pick(scope).ref}${dir()}`;
    const table = from.single?.table;
    const alias = from.single?.scope[0]?.ref.split('.')[0];
    const total = table?.pk && table.name !== 'up' ? `${ord}, ${table.pk.map((k) => `${alias}.${k}${dir()}`).join(', ')}` : null;
    const options: (() => string)[] = [
      () => `rank() OVER (${part}${ord})`,
      () => `dense_rank() OVER (${part}${ord})`,
      () => `(cume_dist() OVER (${part}${ord}) * 4)::integer`,
      () => `count(*) OVER (${part}${r.chance(0.5) ? ord : ''})`,
      () => `rank() OVER (${part}${ord}) * 2 + 1`,
    ];
    if (ints.length) {
      options.push(() => `sum(${r.pick(ints).ref}) OVER (${part}${r.chance(0.7) ? ord : ''})`);
      options.push(() => `${r.pick(['min', 'max'])}(${r.pick(ints).ref}) OVER (${part}${ord})`);
    }
    if (total) {
      options.push(() => `row_number() OVER (${part}${total})`);
      options.push(() => `ntile(2) OVER (${part}${total})`);
      if (ints.length) {
        const c = r.pick(ints).ref;
        options.push(() => `${r.pick(['lag', 'lead'])}(${c}${r.chance(0.3) ? ', 2, -1' : ''}) OVER (${part}${total})`);
        options.push(() => `${r.pick(['first_value', 'last_value'])}(${c}) OVER (${part}${total}${r.chance(0.5) ? ' ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING' : ''})`);
        options.push(() => `sum(${c}) OVER (${part}${total} ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)`);
        options.push(() => `nth_value(${c}, 2) OVER (${part}${total})`);
      }
    }
    return r.pick(options)();
  }

  private someType(scope: readonly ScopeCol[]): ColType {
    return this.r.chance(0.15) ? this.r.pick(EXTRA_TYPES) : this.r.pick(scope).type;
  }

  private grouped(from: FromClause, whereSql: string, want: readonly ColType[] | null): GenQuery {
    const r = this.r;
    const scope = from.scope;
    // Output plan: which positions are group expressions and which aggregates.
    const n = want ? want.length : r.int(1, 4);
    const noGroupBy = r.chance(0.25);
    const groupExprs: { sql: string; type: ColType }[] = [];
    const items: string[] = [];
    const cols: OutCol[] = [];
    const groupOf = (type: ColType): string | null => {
      const existing = groupExprs.find((g) => g.type === type);
      if (existing && r.chance(0.5)) return existing.sql;
      const candidates = colsOf(scope, type);
      if (!candidates.length) return null;
      // A group expression must read a column: a constant would be an ordinal or rejected.
      const expr = r.chance(0.2) ? genExpr(r, scope, type, 1) : '';
      const sql = /\b[a-z]+\d*\.[a-z]/.test(expr) ? expr : r.pick(candidates).ref;
      if (!groupExprs.some((g) => g.sql === sql)) groupExprs.push({ sql, type });
      return sql;
    };
    for (let i = 0; i < n; i++) {
      const type = want ? want[i]! : null;
      let sql: string | null = null;
      let t: ColType = type ?? 'int';
      if (!noGroupBy && r.chance(0.4)) {
        t = type ?? this.someType(scope);
        const g = groupOf(t);
        if (g !== null) sql = r.chance(0.15) && t === 'int' ? `(${g}) + 1` : g;
      }
      if (sql === null) {
        const agg = this.aggregate(scope, type);
        if (agg === null) {
          // No aggregate of that type exists (text/bool): group by one, or a constant.
          const g = noGroupBy ? null : groupOf(type!);
          sql = g ?? literal(r, type!);
          t = type!;
        } else {
          sql = agg.sql;
          t = agg.type;
        }
      }
      items.push(`${sql} AS o${i + 1}`);
      cols.push({ name: `o${i + 1}`, type: t });
    }
    // A group key that is not selected (several output rows may look alike).
    if (!noGroupBy && r.chance(0.3)) groupOf(r.pick(scope).type);
    // A selected group key may be named by its position (GROUP BY 2).
    const spelled = groupExprs.map((g) => {
      const at = items.findIndex((it) => it === `${g.sql} AS o${items.indexOf(it) + 1}`);
      if (at < 0 || !r.chance(0.25)) return g.sql;
      return String(at + 1);
    });
    const groupBy = groupExprs.length ? ` GROUP BY ${spelled.join(', ')}` : '';
    let having = '';
    if (r.chance(0.25)) {
      // (numeric-valued: the comparisons below are with integers)
      const agg = this.grammar.aggregates ? this.aggregate(scope, r.pick(['int', 'int', 'numeric'] as const), false) ?? { sql: 'count(*)' } : this.aggregate(scope, null)!;
      having = ` HAVING ${r.pick([
        () => `${agg.sql} > ${r.pick(['0', '1', '2'])}`,
        () => `${agg.sql} IS NOT NULL`,
        () => `count(*) >= 2`,
        () => `(${agg.sql} < 3) OR count(*) = 1`,
        () => (this.grammar.scalars && this.budget >= 1 ? `count(*) >= ${this.scalarSubquery([], false)}` : 'count(*) >= 2'),
      ])()}`;
    }
    const distinct = r.chance(0.1) ? 'DISTINCT ' : '';
    return { sql: `SELECT ${distinct}${items.join(', ')} FROM ${from.sql}${whereSql}${groupBy}${having}`, cols };
  }

  /** An aggregate call (possibly inside an expression) of the wanted type, or any. */
  private aggregate(scope: readonly ScopeCol[], want: ColType | null, windows = true): { sql: string; type: ColType } | null {
    const r = this.r;
    const ints = colsOf(scope, 'int');
    const nums = colsOf(scope, 'numeric');
    const texts = colsOf(scope, 'text');
    const bools = colsOf(scope, 'bool');
    const filter = (): string => (r.chance(0.1) ? ` FILTER (WHERE ${genPred(r, scope, 1)})` : '');
    const options: (() => { sql: string; type: ColType })[] = [];
    if (want === null || want === 'int') {
      options.push(() => ({ sql: `count(*)${filter()}`, type: 'int' }));
      options.push(() => ({ sql: `count(${genExpr(r, scope, this.someType(scope), 1)})${filter()}`, type: 'int' }));
      if (ints.length) options.push(() => ({ sql: `sum(${genExpr(r, scope, 'int', 1)})${filter()}`, type: 'int' }));
      options.push(() => ({ sql: `count(*) + 1`, type: 'int' }));
    }
    if (want === null || want === 'avg') {
      if (ints.length) options.push(() => ({ sql: `avg(${genExpr(r, scope, 'int', 1)})${filter()}`, type: 'avg' }));
      if (nums.length) options.push(() => ({ sql: `avg(${genExpr(r, scope, 'numeric', 1)})`, type: 'avg' }));
    }
    if ((want === null || want === 'numeric') && nums.length) {
      options.push(() => ({ sql: `sum(${genExpr(r, scope, 'numeric', 1)})${filter()}`, type: 'numeric' }));
      options.push(() => ({ sql: `COALESCE(sum(${r.pick(nums).ref}), 0.0)`, type: 'numeric' }));
    }
    if (this.grammar.windows && windows && (want === null || want === 'int')) {
      // A window over an aggregate: ranks of groups.
      options.push(() => ({ sql: `rank() OVER (ORDER BY count(*)${r.pick(['', ' DESC'])})`, type: 'int' }));
      if (ints.length) options.push(() => ({ sql: `(sum(count(*)) OVER ())::integer`, type: 'int' }));
    }
    if (this.grammar.aggregates) {
      // MIN/MAX (extreme state, rescanned when the extreme leaves) and group-rescan aggregates.
      const extreme = (t: ColType, cols: readonly ScopeCol[]) => () => {
        const f = r.pick(['min', 'max']);
        const arg = r.chance(0.7) ? r.pick(cols).ref : genExpr(r, scope, t, 1);
        return { sql: r.chance(0.2) ? `COALESCE(${f}(${arg}), ${r.pick(VALUES[t])})` : `${f}(${arg})${filter()}`, type: t };
      };
      if ((want === null || want === 'int') && ints.length) {
        options.push(extreme('int', ints), extreme('int', ints));
        options.push(() => ({ sql: `count(DISTINCT ${r.pick(ints).ref})`, type: 'int' }));
        options.push(() => ({ sql: `sum(DISTINCT ${r.pick(ints).ref})${filter()}`, type: 'int' }));
        options.push(() => ({ sql: `${r.pick(['bit_and', 'bit_or', 'bit_xor'])}((${r.pick(ints).ref})::integer)`, type: 'int' }));
        options.push(() => ({ sql: `percentile_disc(${r.pick(['0', '0.5', '1'])}) WITHIN GROUP (ORDER BY ${r.pick(ints).ref})`, type: 'int' }));
        options.push(() => ({ sql: `mode() WITHIN GROUP (ORDER BY ${r.pick(ints).ref})`, type: 'int' }));
        options.push(() => ({ sql: `(max(${r.pick(ints).ref}) - min(${r.pick(ints).ref}))`, type: 'int' }));
      }
      if ((want === null || want === 'numeric') && nums.length) options.push(extreme('numeric', nums));
      if ((want === null || want === 'text') && texts.length) {
        options.push(extreme('text', texts));
        options.push(() => {
          const c = r.pick(texts).ref;
          return { sql: `string_agg(${c}, ${r.pick(["','", "'|'"])} ORDER BY ${c}${r.chance(0.5) ? ' DESC' : ''})${filter()}`, type: 'text' };
        });
        options.push(() => ({ sql: `string_agg(DISTINCT ${r.pick(texts).ref}, ',')`, type: 'text' }));
      }
      const orderable = scope.filter((x) => x.type !== 'avg');
      if ((want === null || want === 'text') && orderable.length) {
        options.push(() => {
          const c = r.pick(orderable);
          const f = r.pick(['array_agg', 'jsonb_agg', 'json_agg']);
          return { sql: `(${f}(${c.ref} ORDER BY ${c.ref} NULLS FIRST))::text`, type: 'text' };
        });
        if (ints.length) {
          options.push(() => {
            const key = `COALESCE(${r.pick(texts.length ? texts : ints).ref}::text, 'null')`;
            const value = r.pick(ints).ref;
            // Ordered: with duplicate keys the last value wins.
            return { sql: `(jsonb_object_agg(${key}, ${value} ORDER BY ${key}, ${value} NULLS FIRST))::text`, type: 'text' };
          });
        }
      }
      if ((want === null || want === 'bool') && bools.length) {
        options.push(() => ({ sql: `${r.pick(['bool_and', 'bool_or', 'every'])}(${r.pick(bools).ref})${filter()}`, type: 'bool' }));
      }
    } else if (want === 'text' || want === 'bool') return null;
    if (options.length === 0) return null;
    return r.pick(options)();
  }

  /** FROM: 1–3 items joined by JOIN … ON / USING, CROSS JOIN or commas. */
  private from(depth: number): FromClause {
    const r = this.r;
    const first = this.fromItem(depth);
    let sql = first.sql;
    let scope = [...first.scope];
    // An ON condition sees only the items since the last comma (`a, b JOIN c ON …` is `a, (b JOIN c ON …)`).
    let group: FromItem[] = [first];
    const pending: string[] = [];
    const n = this.budget > 1 ? r.int(1, Math.min(3, this.budget)) : 1;
    for (let i = 1; i < n; i++) {
      const next = this.fromItem(depth);
      const styles = this.grammar.outerJoins
        ? (['join', 'comma', 'cross', 'join', 'left', 'left', 'right', 'full'] as const)
        : (['join', 'comma', 'cross', 'join'] as const);
      const style = r.pick(styles);
      const left = style !== 'comma' && style !== 'cross' ? group.flatMap((g) => g.scope) : scope;
      if (style === 'left' || style === 'right' || style === 'full') {
        const kw = style.toUpperCase();
        const leftNames = group.flatMap((g) => g.names);
        const common = next.names.filter((nm, j) => leftNames.filter((l) => l === nm).length === 1 &&
          next.names.filter((x) => x === nm).length === 1 &&
          left[leftNames.indexOf(nm)]!.type === next.scope[j]!.type);
        // USING only with LEFT: the merged column of RIGHT/FULL JOIN USING is refused.
        if (style === 'left' && common.length && r.chance(0.2)) sql = `${sql} LEFT JOIN ${next.sql} USING (${r.pick(common)})`;
        else if (style === 'full') {
          // PostgreSQL runs FULL JOIN only on hash- or merge-joinable conditions: equalities.
          const pairs = left.flatMap((a) => next.scope.filter((b) => b.type === a.type && b.type !== 'bool').map((b) => [a, b] as const));
          const eqs = pairs.length ? Array.from({ length: r.chance(0.2) ? 2 : 1 }, () => r.pick(pairs)).map(([a, b]) => `${a.ref} = ${b.ref}`) : [];
          sql = eqs.length ? `${sql} FULL JOIN ${next.sql} ON ${eqs.join(' AND ')}` : `${sql} LEFT JOIN ${next.sql} ON ${this.joinCondition(left, next.scope)}`;
        } else sql = `${sql} ${kw} JOIN ${next.sql} ON ${r.chance(0.15) ? genPred(r, r.chance(0.5) ? left : next.scope, 0) : this.joinCondition(left, next.scope)}`;
      } else if (style === 'join') {
        // USING needs the name exactly once on each side.
        const leftNames = group.flatMap((g) => g.names);
        const common = next.names.filter((nm, j) => leftNames.filter((l) => l === nm).length === 1 &&
          next.names.filter((x) => x === nm).length === 1 &&
          left[leftNames.indexOf(nm)]!.type === next.scope[j]!.type);
        if (common.length && r.chance(0.25)) sql = `${sql} JOIN ${next.sql} USING (${r.pick(common)})`;
        else sql = `${sql} JOIN ${next.sql} ON ${this.joinCondition(left, next.scope)}`;
      } else if (style === 'cross') sql = `${sql} CROSS JOIN ${next.sql}`;
      else {
        sql = `${sql}, ${next.sql}`;
        if (r.chance(0.7)) pending.push(this.joinCondition(scope, next.scope));
      }
      scope = [...scope, ...next.scope];
      group = style === 'comma' ? [next] : [...group, next];
    }
    return { sql, scope, pending, single: n === 1 ? first : null };
  }

  private joinCondition(left: readonly ScopeCol[], right: readonly ScopeCol[]): string {
    const r = this.r;
    const pairs = left.flatMap((a) => right.filter((b) => b.type === a.type && b.type !== 'bool').map((b) => [a, b] as const));
    if (pairs.length && !r.chance(0.2)) {
      const [a, b] = r.pick(pairs);
      const eq = `${a.ref} ${r.chance(0.8) ? '=' : r.pick(CMP)} ${b.ref}`;
      return r.chance(0.15) ? `${eq} AND ${genPred(r, [...left, ...right], 0)}` : eq;
    }
    return genPred(r, [...left, ...right], 1);
  }

  /** An int expression over the outer scope (a column mostly: correlations and IN tests). */
  private intOf(scope: readonly ScopeCol[]): string {
    const ints = colsOf(scope, 'int');
    return ints.length && !this.r.chance(0.1) ? this.r.pick(ints).ref : literal(this.r, 'int');
  }

  /** A correlation `x.col = outer.col` (or none), plus an optional local predicate. */
  private subWhere(inner: FromItem, outer: readonly ScopeCol[], correlated: boolean, depth: number): string {
    const r = this.r;
    const parts: string[] = [];
    if (correlated) {
      const ints = colsOf(inner.scope, 'int');
      const n = r.chance(0.2) ? 2 : 1;
      for (let i = 0; i < n; i++) parts.push(`${r.pick(ints).ref} ${r.chance(0.85) ? '=' : r.pick(CMP)} ${this.intOf(outer)}`);
    }
    if (r.chance(0.4)) parts.push(genPred(r, inner.scope, 1));
    // A sublink nested in the sublink (uncorrelated to the outermost query).
    if (this.grammar.sublinks && depth > 0 && this.budget >= 1 && r.chance(0.15)) parts.push(this.sublinkPred(inner.scope, depth - 1));
    return parts.length ? ` WHERE ${parts.map((p) => `(${p})`).join(' AND ')}` : '';
  }

  /** [NOT] EXISTS, [NOT] IN, op ANY / ALL, NOT (op ALL), row IN. */
  private sublinkPred(outer: readonly ScopeCol[], depth: number): string {
    const r = this.r;
    const inner = this.baseTableItem();
    this.budget -= 1;
    const innerInts = colsOf(inner.scope, 'int');
    const correlated = r.chance(0.6);
    const where = this.subWhere(inner, outer, correlated, depth);
    const y = r.pick(innerInts).ref;
    return r.pick([
      () => `EXISTS (SELECT 1 FROM ${inner.sql}${where})`,
      () => `NOT EXISTS (SELECT ${r.chance(0.5) ? '*' : y} FROM ${inner.sql}${where})`,
      () => `${this.intOf(outer)} IN (SELECT ${y} FROM ${inner.sql}${where})`,
      () => `${this.intOf(outer)} NOT IN (SELECT ${y} FROM ${inner.sql}${where})`,
      () => `${this.intOf(outer)} ${r.pick(CMP)} ANY (SELECT ${y} FROM ${inner.sql}${where})`,
      () => `${this.intOf(outer)} ${r.pick(CMP)} ALL (SELECT ${y} FROM ${inner.sql}${where})`,
      () => `NOT (${this.intOf(outer)} ${r.pick(CMP)} ALL (SELECT ${y} FROM ${inner.sql}${where}))`,
      () => `(${this.intOf(outer)}, ${this.intOf(outer)}) ${r.chance(0.5) ? 'IN' : 'NOT IN'} (SELECT ${y}, ${r.pick(innerInts).ref} FROM ${inner.sql}${where})`,
      () => `${this.intOf(outer)} IN (SELECT ${y} FROM ${inner.sql}${correlated ? '' : where} GROUP BY ${y}${r.chance(0.5) ? ' HAVING count(*) > 1' : ''})`,
    ])();
  }

  /** `(SELECT count(*) | sum(x.int) | … FROM t x [WHERE x.k = outer.k …])`: always one row. */
  private scalarSubquery(outer: readonly ScopeCol[], allowCorrelated: boolean): string {
    const r = this.r;
    const inner = this.baseTableItem();
    this.budget -= 1;
    const ints = colsOf(inner.scope, 'int');
    const agg = r.pick([`count(*)`, `count(${r.pick(ints).ref})`, `COALESCE(sum(${r.pick(ints).ref}), 0)`, `sum(${r.pick(ints).ref})`, `count(*) + 1`]);
    const correlated = allowCorrelated && colsOf(outer, 'int').length > 0 && r.chance(0.6);
    const parts: string[] = [];
    if (correlated) parts.push(`${r.pick(ints).ref} = ${r.pick(colsOf(outer, 'int')).ref}`);
    if (r.chance(0.3)) parts.push(genPred(r, inner.scope, 1));
    return `(SELECT ${agg} FROM ${inner.sql}${parts.length ? ` WHERE ${parts.map((p) => `(${p})`).join(' AND ')}` : ''})`;
  }

  /** `outer_expr op (scalar subquery)`. */
  private scalarPred(outer: readonly ScopeCol[]): string {
    return `${this.intOf(outer)} ${this.r.pick(CMP)} ${this.scalarSubquery(outer, true)}`;
  }

  private fromItem(depth: number): FromItem {
    const r = this.r;
    const kind = r.pick(['table', 'table', 'subquery', 'cte', 'nested'] as const);
    this.budget -= 1;
    if (kind === 'subquery' && depth > 0 && this.budget >= 1) {
      const q = this.query(depth - 1, null);
      const alias = this.nextAlias('s');
      // Sometimes rename the columns with an alias list.
      const names = r.chance(0.2) ? q.cols.map((_, i) => `x${i + 1}`) : q.cols.map((c) => c.name);
      const aliasSql = names[0] === 'x1' ? `${alias}(${names.join(', ')})` : alias;
      return { sql: `(${q.sql}) AS ${aliasSql}`, names, scope: q.cols.map((c, i) => ({ ref: `${alias}.${names[i]}`, type: c.type })), table: null };
    }
    if (kind === 'cte' && this.ctes.length) {
      const cte = r.pick(this.ctes);
      const alias = this.nextAlias('q');
      return { sql: `${cte.name} AS ${alias}`, names: cte.cols.map((c) => c.name), scope: cte.cols.map((c) => ({ ref: `${alias}.${c.name}`, type: c.type })), table: null };
    }
    if (kind === 'nested' && this.budget >= 1) {
      // A parenthesised join as one FROM item: `(b AS t2 JOIN c AS t3 ON …)`.
      const a = this.tableItem();
      this.budget -= 1;
      const b = this.tableItem();
      return {
        sql: `(${a.sql} JOIN ${b.sql} ON ${this.joinCondition(a.scope, b.scope)})`,
        names: [...a.names, ...b.names],
        scope: [...a.scope, ...b.scope],
        table: null,
      };
    }
    return this.tableItem();
  }

  /** A source table (every one has the int `k`; an upstream stream table may have no int column). */
  private baseTableItem(): FromItem {
    const tables = this.schema.tables.filter((t) => t.name !== 'up');
    const t = this.r.pick(tables);
    const alias = this.nextAlias('t');
    return { sql: `${t.name} AS ${alias}`, names: t.columns.map((c) => c.name), scope: t.columns.map((c) => ({ ref: `${alias}.${c.name}`, type: c.type })), table: t };
  }

  private tableItem(): FromItem {
    const t = this.prefer && this.r.chance(0.6) ? this.prefer : this.r.pick(this.schema.tables);
    const alias = this.nextAlias('t');
    return { sql: `${t.name} AS ${alias}`, names: t.columns.map((c) => c.name), scope: t.columns.map((c) => ({ ref: `${alias}.${c.name}`, type: c.type })), table: t };
  }
}

interface FromItem {
  readonly sql: string;
  /** Unqualified column names, aligned with `scope`. */
  readonly names: readonly string[];
  readonly scope: readonly ScopeCol[];
  readonly table: Table | null;
}

interface FromClause {
  readonly sql: string;
  readonly scope: readonly ScopeCol[];
  /** Comma-join conditions that belong in WHERE. */
  readonly pending: readonly string[];
  /** The only FROM item, when there is one. */
  readonly single: FromItem | null;
}

export function genQuery(r: Rand, schema: Schema, grammar: Grammar = BASE_GRAMMAR): GenQuery {
  return new QueryGen(r, schema, null, grammar).top();
}

// ───────────────────────────── DML ─────────────────────────────

export interface Txn {
  /** autocommit: each statement on its own; commit / rollback: one transaction. */
  readonly kind: 'autocommit' | 'commit' | 'rollback';
  /** Statements; a nested array is a SAVEPOINT block that is rolled back. */
  readonly steps: readonly (string | readonly string[])[];
}

export interface Round {
  readonly txns: readonly Txn[];
  /** A committed TRUNCATE may be in the window: the refresh may be FULL. */
  readonly truncates: boolean;
}

function genStatement(r: Rand, schema: Schema, allowTruncate: boolean): string {
  const t = r.pick(schema.tables);
  const scope: ScopeCol[] = t.columns.map((c) => ({ ref: c.name, type: c.type }));
  const where = (): string => (r.chance(0.2) ? '' : ` WHERE ${genPred(r, scope, 1)}`);
  const nonKey = t.columns.filter((c) => !t.pk?.includes(c.name));
  const setOne = (c: Column): string => {
    if (c.name === 'id') return `id = ${r.pick(['id + 1', 'id - 1', '7 - id', String(r.int(1, 6))])}`;
    if (c.name === 'tag') return `tag = ${r.pick(["'x'", "'y'", "CASE WHEN tag = 'x' THEN 'y' ELSE 'x' END"])}`;
    return `${c.name} = ${r.chance(0.5) ? genValue(r, c) : genExpr(r, scope, c.type, 1)}`;
  };
  const kinds = ['insert', 'update', 'delete', 'update', 'insert_dup', 'upsert'] as const;
  const kind = allowTruncate && r.chance(0.02) ? 'truncate' : r.pick(kinds);
  switch (kind) {
    case 'insert':
      return insertRows(t, Array.from({ length: r.int(1, 3) }, () => genRow(r, t)), 'ON CONFLICT DO NOTHING');
    case 'insert_dup':
      // Exact duplicates of existing rows (a keyed table ignores them, or changes the key).
      return t.pk
        ? `INSERT INTO ${t.name} SELECT ${t.columns.map((c) => (c.name === 'id' ? 'id + 1' : c.name)).join(', ')} FROM ${t.name}${where()} ON CONFLICT DO NOTHING`
        : `INSERT INTO ${t.name} SELECT * FROM ${t.name}${where()}`;
    case 'upsert': {
      if (!t.pk) return insertRows(t, [genRow(r, t)], '');
      const c = r.pick(nonKey);
      return `${insertRows(t, [genRow(r, t)], '')} ON CONFLICT (${t.pk.join(', ')}) DO UPDATE SET ${c.name} = EXCLUDED.${c.name}`;
    }
    case 'update': {
      const cols = [...new Set([r.pick(t.columns), ...(r.chance(0.3) ? [r.pick(t.columns)] : [])])];
      return `UPDATE ${t.name} SET ${cols.map(setOne).join(', ')}${where()}`;
    }
    case 'delete':
      return `DELETE FROM ${t.name}${where()}`;
    case 'truncate':
      return `TRUNCATE ${t.name}`;
  }
}

export function genRound(r: Rand, schema: Schema): Round {
  let truncates = false;
  const stmt = (): string => {
    const s = genStatement(r, schema, true);
    if (s.startsWith('TRUNCATE')) truncates = true;
    return s;
  };
  const txns: Txn[] = [];
  const nTxn = r.int(1, 3);
  for (let i = 0; i < nTxn; i++) {
    const kind = r.pick(['autocommit', 'commit', 'commit', 'rollback'] as const);
    const steps: (string | string[])[] = [];
    const n = r.int(1, 4);
    for (let j = 0; j < n; j++) {
      if (kind !== 'autocommit' && r.chance(0.15)) steps.push(Array.from({ length: r.int(1, 2) }, stmt));
      else steps.push(stmt());
    }
    txns.push({ kind, steps });
  }
  return { txns, truncates };
}

// ───────────────────────────── a whole case ─────────────────────────────

export interface OracleCase {
  readonly schema: Schema;
  readonly data: readonly string[];
  /** An upstream stream table `up` that `query` may read (a stream table over a stream table). */
  readonly upstream?: GenQuery;
  readonly query: GenQuery;
  readonly rounds: readonly Round[];
}

export function genCase(r: Rand, grammar: Grammar = BASE_GRAMMAR): OracleCase {
  const schema = genSchema(r);
  const data = genInitialData(r, schema);
  if (r.chance(0.12)) {
    // A stream table over a stream table: `up`'s storage is a keyless source of `st`.
    const upstream = genQuery(r, schema, grammar);
    const up: Table = { name: 'up', columns: upstream.cols.map((col) => ({ name: col.name, type: col.type, notNull: false })), pk: null };
    const query = new QueryGen(r, { tables: [up, ...schema.tables] }, up, grammar).top();
    const rounds = Array.from({ length: r.int(2, 4) }, () => genRound(r, schema));
    return { schema, data, upstream, query, rounds };
  }
  const query = genQuery(r, schema, grammar);
  const rounds = Array.from({ length: r.int(2, 4) }, () => genRound(r, schema));
  return { schema, data, query, rounds };
}

/** The case as a psql script (what a failure report prints). */
export function caseScript(c: OracleCase): string {
  const lines = [...c.schema.tables.map(tableDdl), ...c.data];
  if (c.upstream) lines.push(`SELECT pgtrickle.create_stream_table('up', $q$${c.upstream.sql}$q$, '1m', 'DIFFERENTIAL');  -- then compile + refresh`);
  lines.push(`SELECT pgtrickle.create_stream_table('st', $q$${c.query.sql}$q$, '1m', 'DIFFERENTIAL');  -- then compile + refresh`);
  c.rounds.forEach((round, i) => {
    lines.push(`-- round ${i + 1}`);
    for (const t of round.txns) {
      if (t.kind !== 'autocommit') lines.push('BEGIN');
      for (const s of t.steps) {
        if (typeof s === 'string') lines.push(s);
        else lines.push('SAVEPOINT sp', ...s, 'ROLLBACK TO SAVEPOINT sp');
      }
      if (t.kind !== 'autocommit') lines.push(t.kind === 'commit' ? 'COMMIT' : 'ROLLBACK');
    }
    if (c.upstream) lines.push(`SELECT pgtrickle.refresh_stream_table('up')`);
    lines.push(`SELECT pgtrickle.refresh_stream_table('st')`);
  });
  return lines.map((l) => `${l};`).join('\n');
}
