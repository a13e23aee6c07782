/**
 * What a statement read, by PostgreSQL's own account of running it (`EXPLAIN ANALYZE`): for tests that a statement
 * run every second reads what it needs, not its table. Rows read are counted, not node names: a full index scan
 * reads everything too.
 */
import type { SqlStore } from '../../src/store/sql-store.ts';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Join Filter'?: number;
  Plans?: PlanNode[];
}
const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];

/** Runs `sql` under EXPLAIN ANALYZE (it is executed: a DELETE deletes) and returns how it read. */
export async function howItReads(db: SqlStore['db'], sql: string, params: unknown[]) {
  const { rows } = await db.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params);
  const nodes = nodesOf(rows[0]['QUERY PLAN'][0].Plan);
  return {
    /** Per node reading `table` (not writing it): the rows it passed on plus those its filter dropped. */
    rowsReadOf: (table: string) =>
      nodes
        .filter((n) => n['Relation Name'] === table && n['Node Type'] !== 'ModifyTable')
        .map((n) => (n['Actual Rows'] ?? 0) + (n['Rows Removed by Filter'] ?? 0)),
    /** Rows any filter or join dropped after reading them. */
    rowsDropped: nodes.reduce((sum, n) => sum + (n['Rows Removed by Filter'] ?? 0) + (n['Rows Removed by Join Filter'] ?? 0), 0),
  };
}
