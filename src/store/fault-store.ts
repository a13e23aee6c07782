/**
 * The fault lab's SQL: fault definitions per merchant, the fired-faults log, and `merchants.fault_count` — the
 * number of live definitions, read with the merchant profile every operation reads anyway, so that a merchant
 * without faults costs no extra statement. Every change to the definitions keeps the count in step in the same
 * transaction (increments and decrements, which stay right when transactions race; a recount would not).
 */
import type { FaultCommit, FaultEffect, FaultFiring, FaultSpec, FaultedOperation, FaultOperation, StoredFault } from '../core/faults.ts';
import type { StoreTx } from '../core/ports.ts';
import type { Database, SqlClient } from './sql-client.ts';

type Row = Record<string, unknown>;
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function faultFromRow(r: Row): StoredFault {
  return {
    id: String(r.id),
    mchid: String(r.mchid),
    operation: r.operation as FaultOperation,
    dialect: strOrNull(r.dialect) as StoredFault['dialect'],
    outTradeNo: strOrNull(r.out_trade_no),
    effect: r.effect as FaultEffect,
    commit: strOrNull(r.commit_point) as FaultCommit | null,
    delayMs: Number(r.delay_ms),
    times: Number(r.times),
    fired: Number(r.fired),
    createdAt: Number(r.created_at),
  };
}

function firingFromRow(r: Row): FaultFiring {
  return {
    mchid: String(r.mchid),
    faultId: strOrNull(r.fault_id),
    effect: r.effect as FaultEffect,
    commit: strOrNull(r.commit_point) as FaultCommit | null,
    operation: r.operation as FaultedOperation,
    dialect: String(r.dialect),
    outTradeNo: strOrNull(r.out_trade_no),
    requestId: strOrNull(r.request_id),
    at: Number(r.at),
  };
}

const PLAN = 'SELECT * FROM faults WHERE mchid = $1 AND fired < times ORDER BY id';
const COUNT_FIRED = 'UPDATE faults SET fired = fired + 1 WHERE id = $1 AND fired < times';
/** After COUNT_FIRED: the definition that just ran out is no longer live. */
const RETIRE_EXHAUSTED = `UPDATE merchants SET fault_count = fault_count - 1
  WHERE mchid = $1 AND EXISTS (SELECT 1 FROM faults WHERE id = $2 AND fired = times)`;
const LOG_FIRING = `INSERT INTO fault_firings (mchid, fault_id, effect, commit_point, operation, dialect, out_trade_no, request_id, at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;
const firingParams = (f: FaultFiring) => [f.mchid, f.faultId, f.effect, f.commit, f.operation, f.dialect, f.outTradeNo, f.requestId, f.at];

/** The fault methods of a StoreTx (sql-store.ts spreads them into its transaction object). */
export function faultTx(c: SqlClient, lock: boolean): Pick<StoreTx, 'faultPlan' | 'recordFaultFiring' | 'consumeFault' | 'listFaultFirings'> {
  return {
    async faultPlan(mchid) {
      // Locked: two requests racing for a definition with one firing left take turns.
      const { rows } = await c.query(`${PLAN}${lock ? ' FOR UPDATE' : ''}`, [mchid]);
      const plan = rows.map(faultFromRow);
      if (lock) for (const fault of plan) c.claimRow('faults', fault.id);
      return plan;
    },
    async recordFaultFiring(firing) {
      if (firing.faultId !== null) {
        await c.write(COUNT_FIRED, [firing.faultId]);
        await c.write(RETIRE_EXHAUSTED, [firing.mchid, firing.faultId]);
      }
      await c.write(LOG_FIRING, firingParams(firing));
    },
    async consumeFault(firing) {
      if (firing.faultId !== null) {
        const { rows } = await c.query(`${COUNT_FIRED} RETURNING id`, [firing.faultId]);
        if (rows.length !== 1) return false;
        await c.write(RETIRE_EXHAUSTED, [firing.mchid, firing.faultId]);
      }
      await c.write(LOG_FIRING, firingParams(firing));
      return true;
    },
    async listFaultFirings(mchid, outTradeNo) {
      const { rows } = await c.query('SELECT * FROM fault_firings WHERE mchid = $1 AND out_trade_no = $2 ORDER BY id', [mchid, outTradeNo]);
      return rows.map(firingFromRow);
    },
  };
}

/** The sandbox's side: define, list and delete a merchant's faults. */
export interface FaultAdmin {
  /** null when the merchant does not exist. */
  add(mchid: string, spec: FaultSpec, now: number): Promise<StoredFault | null>;
  /** Every definition, spent ones included, oldest first. */
  list(mchid: string): Promise<StoredFault[]>;
  /** false when no such definition. */
  remove(mchid: string, id: string): Promise<boolean>;
  /** How many definitions were deleted. */
  clear(mchid: string): Promise<number>;
}

/**
 * Deletes and takes the live ones off the merchant's count, in one statement: one definition ($2), or all of the
 * merchant's when $2 is null.
 */
const DELETE_COUNTED = `WITH gone AS (DELETE FROM faults WHERE mchid = $1 AND ($2::bigint IS NULL OR id = $2) RETURNING fired < times AS live),
  counted AS (UPDATE merchants SET fault_count = fault_count - (SELECT count(*) FROM gone WHERE live)
    WHERE mchid = $1 AND EXISTS (SELECT 1 FROM gone WHERE live))
  SELECT count(*) AS n FROM gone`;

export function faultAdmin(db: Database): FaultAdmin {
  return {
    add: (mchid, spec, now) =>
      db.transaction(async (c) => {
        const { rows: counted } = await c.query('UPDATE merchants SET fault_count = fault_count + 1 WHERE mchid = $1 RETURNING mchid', [mchid]);
        if (counted.length !== 1) return null;
        const { rows } = await c.query(
          `INSERT INTO faults (mchid, operation, dialect, out_trade_no, effect, commit_point, delay_ms, times, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
          [mchid, spec.operation, spec.dialect, spec.outTradeNo, spec.effect, spec.commit, spec.delayMs, spec.times, now],
        );
        return faultFromRow(rows[0]);
      }),
    async list(mchid) {
      const { rows } = await db.query('SELECT * FROM faults WHERE mchid = $1 ORDER BY id', [mchid]);
      return rows.map(faultFromRow);
    },
    async remove(mchid, id) {
      if (!/^\d{1,18}$/.test(id)) return false;
      const { rows } = await db.query(DELETE_COUNTED, [mchid, id]);
      return Number(rows[0]?.n ?? 0) > 0;
    },
    async clear(mchid) {
      const { rows } = await db.query(DELETE_COUNTED, [mchid, null]);
      return Number(rows[0]?.n ?? 0);
    },
  };
}
