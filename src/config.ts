/** The only reader of process.env: command-line flags win over environment variables, which win over defaults. */
export interface GatewayConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly adminToken: string | undefined;
  readonly logLevel: string;
}

export interface StartFlags {
  host?: string;
  port?: string | number;
  dataDir?: string;
  databaseUrl?: string;
  adminToken?: string;
  logLevel?: string;
}

export function loadConfig(flags: StartFlags, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const port = Number(flags.port ?? env.TRADEGATE_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port: ${flags.port ?? env.TRADEGATE_PORT}`);
  return {
    host: flags.host ?? env.TRADEGATE_HOST ?? '127.0.0.1',
    port,
    dataDir: flags.dataDir ?? env.TRADEGATE_DATA_DIR ?? './.tradegate',
    databaseUrl: flags.databaseUrl ?? env.DATABASE_URL ?? undefined,
    adminToken: flags.adminToken ?? env.TRADEGATE_ADMIN_TOKEN ?? undefined,
    logLevel: flags.logLevel ?? env.TRADEGATE_LOG_LEVEL ?? 'info',
  };
}
