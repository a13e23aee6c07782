/**
 * The README's examples are tests: every fenced block of README.md runs as written, in order, against a gateway
 * started the way the README's quick start tells users to, from a fresh folder. The only substitutions are the
 * ones the README itself asks for: `<mchid>` (the demo merchant the start printed) and the default port 8080
 * (this test takes free ports; the CLI commands get the URL through TRADEGATE_URL, as the README says).
 * Blocks marked `text` are excerpts, not commands; any other kind of block fails the test until it runs here.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { freePort } from '../helpers/gateway-process.ts';

const ROOT = join(import.meta.dirname, '../..');
/** Inside the checkout (gitignored /tmp/), so that `npx tradegate` and the examples' imports resolve as in a project. */
const WORK = join(ROOT, 'tmp', `readme-${randomBytes(4).toString('hex')}`);

interface Block {
  readonly lang: string;
  readonly code: string;
  readonly line: number;
}

export function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)/.exec(lines[i]);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    assert.ok(end > i, `README.md:${i + 1}: unclosed fence`);
    blocks.push({ lang: open[1], code: lines.slice(i + 1, end).join('\n'), line: i + 1 });
    i = end;
  }
  return blocks;
}

const blocks = fencedBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));

/**
 * The lines of the quick start that the test performs itself: installing (this checkout is installed) and
 * starting the gateway (in the background, on free ports). Adapt here when the README's way to start changes.
 */
const INSTALL = /^npm ci\b/;
const START = /^npx tradegate start\b/;
const withoutComment = (line: string) => line.replace(/\s+#.*$/, '').trim();

let gateway: ChildProcess | null = null;
let port = 0;
let mchid = '';
let output = '';

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: WORK, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
    });
    child.stderr!.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out }));
  });
}

before(async () => {
  mkdirSync(WORK, { recursive: true });
  const quickStart = blocks.find((b) => b.lang === 'sh' && b.code.split('\n').some((l) => START.test(withoutComment(l))));
  assert.ok(quickStart, 'the README shows how to start the gateway (`npx tradegate start`)');
  const startLine = quickStart.code
    .split('\n')
    .map(withoutComment)
    .find((l) => START.test(l))!;
  port = await freePort();
  const tlsPort = await freePort();
  // Detached: its own process group, so that npx and the gateway under it stop together.
  gateway = spawn('bash', ['-c', `exec ${startLine} --port ${port} --tls-port ${tlsPort}`], {
    cwd: WORK,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DATABASE_URL: '', TRADEGATE_ADMIN_TOKEN: '', TRADEGATE_URL: '' },
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start banner in 240 s: ${output}`)), 240_000);
    const seen = (d: Buffer) => {
      output += d;
      const found = /mchid=(\d+)/.exec(output);
      if (found && /credentials: \S+\.json/.test(output)) {
        mchid = found[1];
        clearTimeout(timer);
        resolve();
      }
    };
    gateway!.stdout!.on('data', seen);
    gateway!.stderr!.on('data', seen);
    gateway!.on('exit', (code) => reject(new Error(`the gateway exited (${code}): ${output}`)));
  });
});

after(async () => {
  if (gateway?.pid && gateway.exitCode === null) {
    gateway.removeAllListeners('exit');
    const exited = new Promise((resolve) => gateway!.once('exit', resolve));
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(-gateway!.pid!, name);
      } catch {
        /* the group is gone */
      }
    };
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    signal('SIGKILL'); // whatever npx left behind in the group
  }
  rmSync(WORK, { recursive: true, force: true });
});

/** The gateway's warnings, errors and clock requests so far (its log: JSON lines), for a failure's message. */
const gatewayLog = () =>
  `the gateway's warnings, errors and clock requests:\n${output
    .split('\n')
    .filter((l) => /"level":[456]\d|"statusCode":5/.test(l) || l.includes('/clock'))
    .join('\n')}`;

/** What the README asks the reader to replace, and nothing else. */
const substitute = (code: string) => code.replaceAll('<mchid>', mchid).replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`);

async function sandbox(path: string): Promise<any> {
  const token = readFileSync(join(WORK, '.tradegate', 'admin-token'), 'utf8').trim();
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, path);
  return res.json();
}

test('every fenced block of the README is a runnable example (sh, js) or a marked excerpt (text)', () => {
  assert.ok(blocks.length >= 5);
  for (const b of blocks)
    assert.ok(
      ['sh', 'js', 'text', 'mermaid'].includes(b.lang),
      `README.md:${b.line}: a \`${b.lang}\` block is neither run nor marked as an excerpt or a diagram`,
    );
  for (const b of blocks.filter((x) => x.lang === 'sh' || x.lang === 'js')) {
    assert.doesNotMatch(b.code.replaceAll('<mchid>', ''), /<[a-z_]+>/, `README.md:${b.line}: a placeholder the README does not explain`);
  }
});

test('the README examples run verbatim, in order, and do what they say', { timeout: 600_000 }, async () => {
  const outputs: string[] = [];
  /** The demo merchant's clock offset after each block: which block's advance went missing, should one. */
  const offsets: string[] = [];
  for (const [index, block] of blocks.entries()) {
    if (block.lang === 'text' || block.lang === 'mermaid') continue; // an excerpt, a diagram
    const where = `README.md:${block.line}`;
    let result: { code: number | null; out: string };
    if (block.lang === 'js') {
      const file = `example-${index}.mjs`;
      writeFileSync(join(WORK, file), substitute(block.code));
      result = await run(process.execPath, [file]);
    } else {
      const lines = block.code.split('\n').filter((l) => !INSTALL.test(withoutComment(l)) && !START.test(withoutComment(l)));
      if (lines.every((l) => withoutComment(l) === '')) continue; // the quick start: done by the test itself
      result = await run('bash', ['-euo', 'pipefail', '-c', substitute(lines.join('\n'))], { TRADEGATE_URL: `http://127.0.0.1:${port}/` });
    }
    assert.equal(result.code, 0, `${where} failed:\n${result.out}\n${gatewayLog()}`);
    outputs.push(result.out);
    offsets.push(`${where}: ${(await sandbox(`/sandbox/merchants/${mchid}/clock`)).offset_seconds} s`);
  }
  const all = outputs.join('\n');

  // APIv3: paid by code, then reversed once the clock was moved (a full refund by the reverse).
  assert.match(all, /paid: SUCCESS 4200\d+/);
  const v3 = await sandbox(`/sandbox/merchants/${mchid}/orders/POS-0001`);
  assert.equal(v3.state, 'REVOKED');
  assert.deepEqual(
    v3.refunds.map((r: any) => [r.cause, r.amount]),
    [['reverse', 1800]],
  );
  // APIv2 over mutual TLS: the same.
  assert.match(all, /reversed: SUCCESS recall N/);
  const v2 = await sandbox(`/sandbox/merchants/${mchid}/orders/POS-0002`);
  assert.deepEqual([v2.state, v2.protocol, v2.refunds.map((r: any) => r.cause)], ['REVOKED', 'wechatpay-v2', ['reverse']]);
  // PayCloud with the README's own signer: paid (2), voided (3), refunded in full by the void.
  assert.match(all, /paid: \d{20} trans_status 2/);
  assert.match(all, /voided: trans_status 3/);
  const pc = await sandbox(`/sandbox/merchants/${mchid}/orders/POS-0003`);
  assert.deepEqual([pc.state, pc.protocol, pc.refunds.map((r: any) => [r.cause, r.amount])], ['REVOKED', 'paycloud', [['void', 1800]]]);
  // The sandbox block: the OpenAPI document and a clock that moved 15 + 15 + 15 + 60 + 15 seconds.
  assert.match(all, /^"\/sandbox\/merchants\/\{mchid\}\/clock"$/m);
  assert.equal(JSON.parse(readFileSync(join(WORK, 'openapi.json'), 'utf8')).openapi, '3.0.3');
  const clock = await sandbox(`/sandbox/merchants/${mchid}/clock`);
  assert.equal(clock.offset_seconds, 120, `the clock after each block:\n${offsets.join('\n')}\n${gatewayLog()}`);
});
