import { join } from 'node:path';
import { ensurePrivateDir, tightenTree } from '../lib/private-dir.ts';
import { openPglite, openPostgres, type Database } from './database.ts';
import { migrate } from './migrations.ts';
import { sqlStore, type SqlStore } from './sql-store.ts';
import { initPgliteDataDir } from './pglite-initdb.ts';

export interface StoreOptions {
  /** A PostgreSQL server; when absent the embedded PGlite database in `dataDir` is used. */
  readonly databaseUrl?: string;
  readonly dataDir?: string;
  readonly schema?: string;
  /** Embedded database kept in memory only (tests). */
  readonly inMemory?: boolean;
}

/** Opens the database, brings the schema up to date, and returns the store. */
export async function openStore(opts: StoreOptions): Promise<SqlStore> {
  let db: Database;
  if (opts.databaseUrl) {
    db = openPostgres({ connectionString: opts.databaseUrl, schema: opts.schema });
  } else if (opts.inMemory || !opts.dataDir) {
    db = await openPglite();
  } else {
    const dir = join(opts.dataDir, 'pgdata');
    ensurePrivateDir(dir);
    await initPgliteDataDir(dir); // in a child process: see pglite-initdb.ts
    db = await openPglite(dir);
    tightenTree(dir); // PGlite sets the modes of the files it creates at first start itself (0666): see private-dir.ts
  }
  await migrate(db);
  return sqlStore(db);
}
