/**
 * Test databases: embedded PGlite always; the PostgreSQL server too when TEST_DATABASE_URL is set. Each
 * server-backed store lives in its own schema, dropped afterwards (the server keeps what earlier runs left).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore } from '../../src/store/open-store.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

export interface TestDatabase {
  readonly name: 'pglite' | 'postgres';
  /** A fresh, migrated store. */
  open(): Promise<SqlStore>;
  /** Store options for a gateway process (same schema as open() would use). */
  storeOptions(): Promise<{ databaseUrl?: string; schema?: string; inMemory?: boolean }>;
  /** Drops the schema storeOptions() made, once the gateway using it has closed (no-op on PGlite). */
  release(options: { schema?: string }): Promise<void>;
  /** Drops whatever was created. */
  cleanup(): Promise<void>;
}

function pgliteDatabase(): TestDatabase {
  const stores: SqlStore[] = [];
  return {
    name: 'pglite',
    async open() {
      const store = await openStore({ inMemory: true });
      stores.push(store);
      return store;
    },
    async storeOptions() {
      return { inMemory: true };
    },
    async release() {},
    async cleanup() {
      await Promise.all(stores.map((s) => s.db.close()));
    },
  };
}

function postgresDatabase(url: string): TestDatabase {
  const schemas: string[] = [];
  const stores: SqlStore[] = [];
  const dropSchemas = async (names: readonly string[]) => {
    if (names.length === 0) return;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    for (const schema of names) await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    await client.end();
  };
  const newSchema = async () => {
    const schema = `tg_test_${randomBytes(6).toString('hex')}`;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`);
    await client.end();
    schemas.push(schema);
    return schema;
  };
  return {
    name: 'postgres',
    async open() {
      const store = await openStore({ databaseUrl: url, schema: await newSchema() });
      stores.push(store);
      return store;
    },
    async storeOptions() {
      return { databaseUrl: url, schema: await newSchema() };
    },
    async release({ schema }) {
      const at = schema === undefined ? -1 : schemas.indexOf(schema);
      if (at < 0) return;
      schemas.splice(at, 1);
      await dropSchemas([schema as string]);
    },
    async cleanup() {
      await Promise.all(stores.map((s) => s.db.close()));
      await dropSchemas(schemas.splice(0));
    },
  };
}

/** Every database the suite runs on here: PGlite, plus the server when TEST_DATABASE_URL is set. */
export function testDatabases(): TestDatabase[] {
  return TEST_DATABASE_URL ? [pgliteDatabase(), postgresDatabase(TEST_DATABASE_URL)] : [pgliteDatabase()];
}

/**
 * The one database of a test that runs once: the PostgreSQL server when TEST_DATABASE_URL is set, else PGlite.
 * CI runs the suite once without and once with it, so every such test meets both.
 */
export function primaryDatabase(): TestDatabase {
  return TEST_DATABASE_URL ? postgresDatabase(TEST_DATABASE_URL) : pgliteDatabase();
}

export function postgresOnly(): TestDatabase | null {
  return TEST_DATABASE_URL ? postgresDatabase(TEST_DATABASE_URL) : null;
}
