/**
 * SQL fragments for "due by business time", in statements whose `$1` is the wall time and whose merchants are
 * aliased `m`. Each merchant's clock is wall time plus its offset (sandboxes move it ahead), so "due on its
 * merchant's clock" needs the merchant's row and cannot bound an index range. The latest clock of all can: nothing is
 * due on any merchant's clock unless it is due by the latest one. The sweeper's due orders and the outbox worker's
 * claim run every second or faster and bound their index ranges with it; without it each read every open order or
 * pending event (bench/results/2026-12-05-notes.md). Constants, not functions of a parameter's name: SQL text is
 * built from chosen text only (test/store/sql-text.test.ts).
 */

/** The business time on the merchant aliased `m`. */
export const MERCHANT_NOW = '$1 + m.clock_offset_ms';

/** The latest business time of any merchant (the one whose clock runs furthest ahead). */
export const LATEST_NOW = '$1 + (SELECT max(clock_offset_ms) FROM merchants)';
