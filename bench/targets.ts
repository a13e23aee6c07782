/**
 * The performance targets and the names of the rows they judge, in one place: the rows' target column (run.ts), the
 * report's lines (report.ts) and the table of every run (history.ts) read them here. Row names are also the keys
 * of the runs kept in bench/results/, so they do not change.
 */
export const TARGETS = {
  /** APIv3 reverse on PostgreSQL, 64 connections: throughput ÷ L, and p99 ms. */
  reverseRatio: 0.6,
  reverseP99: 50,
  /** APIv3 query: throughput ÷ L, and p99 ms. */
  queryRatio: 0.6,
  queryP99: 30,
  /** APIv2 reverse (HMAC, no RSA): throughput ÷ D. */
  v2Ratio: 0.4,
  /** tradegate's APIv3 reverse ÷ the plain peer's, throughput. */
  overPeer: 1.5,
  /** gateway + PostgreSQL CPU per reverse ÷ the floor (sign + verify + pgbench's CPU per transaction), at most. */
  overFloor: 1.7,
  /** query p50 with 1M orders ÷ with 10k, at most. */
  scale: 1.2,
  /** peak RSS of tradegate on PostgreSQL, MB. */
  rssMb: 250,
} as const;

export const ROW = {
  reverse: 'APIv3 reverse (paid → refund)',
  query: 'APIv3 query',
  v2: 'APIv2 reverse (HMAC)',
} as const;

/** The peer's row: its name starts so (`peer: plain APIv3 reverse`). */
export const isPeerRow = (name: string) => name.startsWith('peer');

/** The target column of the rows that have one. */
export const TARGET_TEXT = {
  reverse: `≥ ${TARGETS.reverseRatio} L, p99 ≤ ${TARGETS.reverseP99} ms`,
  query: `≥ ${TARGETS.queryRatio} L, p99 ≤ ${TARGETS.queryP99} ms`,
  v2: `≥ ${TARGETS.v2Ratio} D`,
  pacedReverse: `p99 ≤ ${TARGETS.reverseP99} ms`,
  pacedQuery: `p99 ≤ ${TARGETS.queryP99} ms`,
} as const;
