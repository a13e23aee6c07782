/**
 * APIv2's XML is one flat `<xml>` element of `<name>text</name>` children, with or without CDATA. A general XML
 * library would be a dependency for forty lines; this reads exactly that shape and refuses anything else
 * (nested elements, DTDs), which is all a client needs to read an answer it then verifies by signature.
 */
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeText(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) =>
    e.startsWith('#x') ? String.fromCodePoint(parseInt(e.slice(2), 16)) : e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : ENTITIES[e],
  );
}

/** The children of a flat `<xml>` document, or null if it is not one. */
export function parseFlatXml(text: string): Record<string, string> | null {
  const body = text.replace(/^\uFEFF?\s*(<\?xml[^?]*\?>)?\s*/, '').trim();
  const root = /^<xml>([\s\S]*)<\/xml>$/.exec(body);
  if (!root || /<!/.test(body.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, ''))) return null;
  const out: Record<string, string> = {};
  const child = /\s*<([A-Za-z_][\w.-]*)\s*(?:\/>|>((?:<!\[CDATA\[[\s\S]*?\]\]>|[^<])*)<\/\1>)\s*/y;
  const inner = root[1];
  let at = 0;
  while (at < inner.length) {
    child.lastIndex = at;
    const m = child.exec(inner);
    if (!m) return null;
    const raw = m[2] ?? '';
    const hasCdata = raw.includes('<![CDATA[');
    const value = raw
      .split(/(<!\[CDATA\[[\s\S]*?\]\]>)/)
      .map((part) => (part.startsWith('<![CDATA[') ? part.slice(9, -3) : hasCdata && part.trim() === '' ? '' : decodeText(part)))
      .join('');
    if (m[1] in out) return null;
    out[m[1]] = value;
    at = child.lastIndex;
  }
  return out;
}

/** `]]>` cannot stand inside CDATA: it is split across two sections. */
const escapeCdata = (s: string) => s.replace(/]]>/g, ']]]]><![CDATA[>');

export function flatXml(params: Record<string, string>): string {
  return `<xml>${Object.entries(params)
    .map(([k, v]) => `<${k}><![CDATA[${escapeCdata(v)}]]></${k}>`)
    .join('')}</xml>`;
}
