/**
 * SQL fragments for "due by business time". Each merchant's clock is wall time plus its offset (sandboxes move it
 * ahead), so "due on its merchant's clock" needs the merchant's row and cannot bound an index range. The latest clock
 * of all can: nothing is due on any merchant's clock unless it is due by the latest one. The sweeper's due orders and
 * the outbox worker's claim run every second or faster and bound their index ranges with it; without it each read
 * every open order or pending event (bench/results/2026-12-05-notes.md).
 */

/** The business time on the merchant aliased `merchant`, given wall time as the parameter `wallNow` (e.g. `$1`). */
export const merchantNow = (wallNow: string, merchant: string): string => `${wallNow} + ${merchant}.clock_offset_ms`;

/** The latest business time of any merchant (the one whose clock runs furthest ahead), given wall time as `wallNow`. */
export const latestNow = (wallNow: string): string => `${wallNow} + (SELECT max(clock_offset_ms) FROM merchants)`;
