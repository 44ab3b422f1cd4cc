import type { Col } from '../ir.ts';

/**
 * Fresh internal column ids: `c<n>_<ascii name>`. Always lower-case ASCII,
 * never a keyword (the `c<n>_` prefix), unique within one compilation.
 */
export class ColumnIds {
  private n = 0;

  col(name: string, type: string | null): Col {
    const slug = name
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 24);
    this.n += 1;
    return { id: slug ? `c${this.n}_${slug}` : `c${this.n}`, name, type };
  }
}
