import { deparse, funcName, kindOf, stringList, type PgNode } from '../ast.ts';
import { boundId } from '../emit/expr.ts';
import type { Col, Expr } from '../ir.ts';
import type { CompileInput } from '../types.ts';
import { ColumnIds } from './ids.ts';

/** Shared state of one build: fresh ids and every column created so far. */
export class BuildContext {
  readonly ids = new ColumnIds();
  private readonly byId = new Map<string, Col>();

  constructor(readonly input: CompileInput) {}

  col(name: string, type: string | null): Col {
    const c = this.ids.col(name, type);
    this.byId.set(c.id, c);
    return c;
  }

  /** Replace a column's type once it is known (same id). */
  retype(col: Col, type: string | null): Col {
    const c = { ...col, type };
    this.byId.set(c.id, c);
    return c;
  }

  lookup(id: string): Col | undefined {
    return this.byId.get(id);
  }

  /** The type of a bound expression when evident: a column, or a cast. */
  typeOf(expr: Expr): string | null {
    const id = boundId(expr.ast);
    if (id !== null) return this.lookup(id)?.type ?? null;
    if (kindOf(expr.ast) === 'TypeCast') return deparse({ TypeName: expr.ast.TypeCast.typeName });
    return null;
  }

  /** PostgreSQL's FigureColname, for the names of unaliased targets. */
  figureName(ast: PgNode): string {
    const kind = kindOf(ast);
    const b = ast[kind];
    switch (kind) {
      case 'ColumnRef': {
        const id = boundId(ast);
        if (id !== null) return this.lookup(id)?.name ?? '?column?';
        const fields = stringList(b.fields);
        return fields[fields.length - 1] || '?column?';
      }
      case 'FuncCall':
        return funcName(b);
      case 'TypeCast': {
        const inner = this.figureName(b.arg);
        if (inner !== '?column?') return inner;
        const names = stringList(b.typeName.names);
        return names[names.length - 1] ?? '?column?';
      }
      case 'A_Indirection': {
        const last = (b.indirection as PgNode[])[b.indirection.length - 1];
        return last?.String ? String(last.String.sval) : this.figureName(b.arg);
      }
      case 'CollateClause':
        return this.figureName(b.arg);
      case 'CaseExpr':
        return 'case';
      case 'CoalesceExpr':
        return 'coalesce';
      case 'MinMaxExpr':
        return b.op === 'IS_GREATEST' ? 'greatest' : 'least';
      case 'A_ArrayExpr':
        return 'array';
      case 'RowExpr':
        return 'row';
      case 'A_Expr':
        return b.kind === 'AEXPR_NULLIF' ? 'nullif' : '?column?';
      default:
        return '?column?';
    }
  }
}
