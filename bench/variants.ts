/**
 * The variants of `bench:ab` and `bench:pair`: `label=flags`, the flags being `tradegate start`'s, or a node flag for
 * the gateway's process when written `node:--flag`; `label@dir=flags` runs the gateway built in the checkout `dir`.
 */
export interface Variant {
  readonly label: string;
  /** `tradegate start` flags. */
  readonly flags: string[];
  /** Node flags for the gateway's process. */
  readonly nodeFlags: string[];
  /** Another checkout whose build is run; this one's when absent. */
  readonly dir?: string;
}

export function parseVariant(text: string): Variant {
  const at = text.indexOf('=');
  if (at < 1) throw new Error(`a variant is label=flags, not ${JSON.stringify(text)}`);
  const [label = '', dir] = text.slice(0, at).split('@');
  const words = text
    .slice(at + 1)
    .split(/\s+/)
    .filter(Boolean);
  return {
    label,
    dir,
    flags: words.filter((w) => !w.startsWith('node:')),
    nodeFlags: words.filter((w) => w.startsWith('node:')).map((w) => w.slice('node:'.length)),
  };
}
