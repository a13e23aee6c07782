/**
 * Set statements: the same statement issued by several units of one shared transaction (shared-transactions.ts)
 * in one turn goes to PostgreSQL once, over arrays of their parameters, and each unit gets its own rows back
 * (statement-batch.ts does the sending). Each statement costs the server a bind, an executor start and a sync, and
 * the driver a message to build and an answer to parse: a reverse's three statements, sixteen units at a time,
 * are three statements for all sixteen.
 *
 * A statement opts in by registering the set form of its text (`withSetForm`); a text without one is sent once
 * per unit, as before. A set form must give every unit the rows the single statement would have given it, run
 * in the same transaction at the same point — and fail as a whole where one unit's single statement would fail
 * (the shared transaction then runs every unit again alone, as for any statement the server refuses).
 */
export type Row = Record<string, unknown>;
/** One unit's parameters of the single statement. */
export type Params = readonly unknown[];

export interface SetForm {
  /** The statement for many units at once. */
  readonly sql: string;
  /** Its parameters, from each unit's parameters of the single statement (in the units' order). */
  params(each: readonly Params[]): unknown[];
  /** Each unit's rows (in the units' order) of the set statement's. */
  split(rows: readonly Row[], each: readonly Params[]): Row[][];
}

const FORMS = new Map<string, SetForm>();

/** Registers the set form of a single statement's text; returns the text (used as a constant where declared). */
export function withSetForm(sql: string, form: SetForm): string {
  FORMS.set(sql, form);
  return sql;
}

/** The set form of a statement's text, if it has one. */
export const setFormOf = (sql: string): SetForm | undefined => FORMS.get(sql);

/** PostgreSQL types of the columns a set statement unnests (array types of the same names carry the values). */
export type SqlType = 'text' | 'bigint' | 'integer' | 'jsonb';

/**
 * `unnest($1::t1[], $2::t2[], …) WITH ORDINALITY AS alias(c1, c2, …, unit)`: one row per unit, `unit` its
 * 1-based position; `params` turns each unit's single-statement parameters (one per column, in order) into
 * one array per column.
 */
export function unnested(alias: string, columns: readonly (readonly [name: string, type: SqlType])[]) {
  const args = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  const names = columns.map(([name]) => name).join(', ');
  return {
    from: `unnest(${args}) WITH ORDINALITY AS ${alias}(${names}, unit)`,
    params: (each: readonly Params[]): unknown[] => columns.map((_, i) => each.map((p) => p[i])),
  };
}

/** Rows carrying the 1-based position of their unit in column `unit` (see `unnested`). */
export function splitByUnit(rows: readonly Row[], each: readonly Params[]): Row[][] {
  const parts: Row[][] = each.map(() => []);
  for (const row of rows) parts[Number(row.unit) - 1].push(row);
  return parts;
}

/** A statement that answers no rows: every unit gets none. */
export const noRows = (_rows: readonly Row[], each: readonly Params[]): Row[][] => each.map(() => []);
