/**
 * The variants of `bench:ab` and `bench:pair`: `label=flags`, the flags being `tradegate start`'s, or a node flag for
 * the gateway's process when written `node:--flag`, or the Node binary that runs it when written `node-bin:PATH`;
 * `label@dir=flags` runs the gateway built in the checkout `dir`.
 */
export interface Variant {
  readonly label: string;
  /** `tradegate start` flags. */
  readonly flags: string[];
  /** Node flags for the gateway's process. */
  readonly nodeFlags: string[];
  /** Another checkout whose build is run; this one's when absent. */
  readonly dir?: string;
  /** The Node binary that runs the gateway; the bench's default (harness.ts, GATEWAY_NODE) when absent. */
  readonly nodeBinary?: string;
}

export function parseVariant(text: string): Variant {
  const at = text.indexOf('=');
  if (at < 1) throw new Error(`a variant is label=flags, not ${JSON.stringify(text)}`);
  const [label = '', dir] = text.slice(0, at).split('@');
  const words = text
    .slice(at + 1)
    .split(/\s+/)
    .filter(Boolean);
  const binaries = words.filter((w) => w.startsWith('node-bin:')).map((w) => w.slice('node-bin:'.length));
  if (binaries.length > 1) throw new Error(`one node-bin: per variant, not ${binaries.length}`);
  return {
    label,
    dir,
    flags: words.filter((w) => !w.startsWith('node:') && !w.startsWith('node-bin:')),
    nodeFlags: words.filter((w) => w.startsWith('node:')).map((w) => w.slice('node:'.length)),
    nodeBinary: binaries[0],
  };
}
