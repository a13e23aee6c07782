/**
 * APIv2 XML input/output rules, wechatpay-v2.md §1-§2: every accepted variant yields the same parameters, every
 * refusal has its return_msg, and hostile input is refused quickly without throwing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { buildXml, MAX_XML_BODY_BYTES, parseXmlBody, parseXmlText } from '../../../src/protocols/wechatpay-v2/xml.ts';

const buf = (s: string) => Buffer.from(s, 'utf8');

function params(xml: string | Buffer): Record<string, string> {
  const r = parseXmlBody(typeof xml === 'string' ? buf(xml) : xml);
  assert.ok(r.ok, `expected ok, got ${JSON.stringify(r)}`);
  return r.params;
}

function refusal(xml: string | Buffer): string {
  const r = parseXmlBody(typeof xml === 'string' ? buf(xml) : xml);
  assert.ok(!r.ok, `expected a refusal, got ${JSON.stringify(r)}`);
  return r.returnMsg;
}

/** Fails the test if `fn` takes a second or more: hostile input must be refused before any expansion. */
function fast<T>(fn: () => T): T {
  const t0 = performance.now();
  const out = fn();
  const ms = performance.now() - t0;
  // The bound only separates "refused without expanding" (microseconds) from expansion (seconds or memory
  // exhaustion): wide enough that a busy CI machine never fails it.
  assert.ok(ms < 1000, `took ${ms.toFixed(1)} ms`);
  return out;
}

const EXPECTED = {
  appid: 'wxd930ea5d5a258f4f',
  mch_id: '10000100',
  device_info: '1000',
  body: '腾讯充值中心-QQ会员充值 😀',
  detail: `a<b & "c" 'd' >`,
  nonce_str: 'ibuaiVcKdpRxkhJA',
};

describe('§2 accepted variants', () => {
  const variants: Record<string, string> = {
    'compact, all CDATA':
      '<xml><appid><![CDATA[wxd930ea5d5a258f4f]]></appid><mch_id><![CDATA[10000100]]></mch_id>' +
      '<device_info><![CDATA[1000]]></device_info><body><![CDATA[腾讯充值中心-QQ会员充值 😀]]></body>' +
      `<detail><![CDATA[a<b & "c" 'd' >]]></detail><nonce_str><![CDATA[ibuaiVcKdpRxkhJA]]></nonce_str></xml>`,
    'compact, no CDATA, named entities':
      '<xml><appid>wxd930ea5d5a258f4f</appid><mch_id>10000100</mch_id><device_info>1000</device_info>' +
      '<body>腾讯充值中心-QQ会员充值 😀</body><detail>a&lt;b &amp; &quot;c&quot; &apos;d&apos; &gt;</detail>' +
      '<nonce_str>ibuaiVcKdpRxkhJA</nonce_str></xml>',
    'numeric references, decimal and hex':
      '<xml><appid>wxd930ea5d5a258f4f</appid><mch_id>10000100</mch_id><device_info>&#49;000</device_info>' +
      '<body>&#x817E;讯充值中心-QQ会员充值&#32;&#x1F600;</body><detail>a&#60;b &#38; "c" \'d\' ></detail>' +
      '<nonce_str>ibuaiVcKdpRxkhJA</nonce_str></xml>',
    'pretty, declaration with encoding, CDATA only when needed':
      '<?xml version="1.0" encoding="UTF-8"?>\n<xml>\n  <appid>wxd930ea5d5a258f4f</appid>\n' +
      '  <mch_id>10000100</mch_id>\n  <device_info>1000</device_info>\n  <body>腾讯充值中心-QQ会员充值 😀</body>\n' +
      `  <detail><![CDATA[a<b & "c" 'd' >]]></detail>\n  <nonce_str>ibuaiVcKdpRxkhJA</nonce_str>\n</xml>\n`,
    'tabs and CRLF, bare declaration, shuffled order':
      '<?xml version="1.0"?>\r\n<xml>\r\n\t<nonce_str>ibuaiVcKdpRxkhJA</nonce_str>\r\n\t<detail>\r\n\t\t<![CDATA[a<b & "c" ' +
      `'d' >]]>\r\n\t</detail>\r\n\t<body><![CDATA[腾讯充值中心-QQ会员充值 😀]]></body>\r\n\t<device_info>1000</device_info>` +
      '\r\n\t<mch_id>10000100</mch_id>\r\n\t<appid>wxd930ea5d5a258f4f</appid>\r\n</xml>',
    'CDATA split, text+CDATA mixed, comments, attributes, BOM':
      '\uFEFF<!-- sent by test --><xml id="1"><appid>wx<![CDATA[d930ea5d5a258f4f]]></appid><mch_id>10000100</mch_id>' +
      '<device_info>10<!-- c -->00</device_info><body><![CDATA[腾讯充值中心]]><![CDATA[-QQ会员充值 😀]]></body>' +
      `<detail><![CDATA[a<b & "c" 'd' ]]><![CDATA[>]]></detail><nonce_str >ibuaiVcKdpRxkhJA</nonce_str ></xml>`,
    'built by buildXml': buildXml(EXPECTED),
  };
  for (const [name, xml] of Object.entries(variants)) {
    test(name, () => assert.deepEqual(params(xml), EXPECTED));
  }
});

describe('§2 value rules', () => {
  test('text is verbatim: no trimming, no line-ending normalisation', () => {
    assert.deepEqual(params('<xml><a>  x  </a><b> </b><c>l1\r\nl2</c></xml>'), { a: '  x  ', b: ' ', c: 'l1\r\nl2' });
  });
  test('whitespace-only text around CDATA is dropped, other text is kept', () => {
    assert.deepEqual(params('<xml><a>\n  <![CDATA[ v ]]>\n</a><b>x<![CDATA[y]]>z</b><c> <![CDATA[]]> </c></xml>'), {
      a: ' v ',
      b: 'xyz',
    });
  });
  test('a character reference is content, not layout, even next to CDATA', () => {
    assert.deepEqual(params('<xml><a>&#32;<![CDATA[v]]></a></xml>'), { a: ' v' });
  });
  test('empty elements are absent', () => {
    assert.deepEqual(params('<xml><a></a><b/><c /><d><![CDATA[]]></d><e>1</e></xml>'), { e: '1' });
    assert.deepEqual(params('<xml/>'), {});
    assert.deepEqual(params('<xml></xml>'), {});
  });
  test('a child named __proto__ is an own data property', () => {
    const p = params('<xml><__proto__>x</__proto__><a>1</a></xml>');
    assert.equal(Object.getOwnPropertyDescriptor(p, '__proto__')?.value, 'x');
    assert.equal(Object.getPrototypeOf(p), Object.prototype);
  });
  test('duplicate names → 参数格式校验错误 (also when one is empty)', () => {
    assert.equal(refusal('<xml><a>1</a><a>2</a></xml>'), '参数格式校验错误');
    assert.equal(refusal('<xml><a>1</a><a/></xml>'), '参数格式校验错误');
  });
  test('malformed beats duplicate', () => {
    assert.equal(refusal('<xml><a>1</a><a>2</a>'), 'XML格式错误');
  });
  test('parseXmlText reads other flat roots (refund notification <root>)', () => {
    const r = parseXmlText('<root><out_refund_no><![CDATA[R1]]></out_refund_no></root>', 'root');
    assert.deepEqual(r, { ok: true, params: { out_refund_no: 'R1' } });
  });
});

describe('§1-§2 refusals', () => {
  test('empty and whitespace-only bodies → post数据为空', () => {
    assert.equal(refusal(Buffer.alloc(0)), 'post数据为空');
    assert.equal(refusal(' \r\n\t'), 'post数据为空');
  });
  test('over 64 KiB → 请求体过大; exactly 64 KiB is accepted', () => {
    const wrap = (n: number) => `<xml><a>${'x'.repeat(n - '<xml><a></a></xml>'.length)}</a></xml>`;
    assert.equal(buf(wrap(MAX_XML_BODY_BYTES)).length, MAX_XML_BODY_BYTES);
    assert.equal(params(wrap(MAX_XML_BODY_BYTES)).a?.length, MAX_XML_BODY_BYTES - 18);
    assert.equal(refusal(wrap(MAX_XML_BODY_BYTES + 1)), '请求体过大');
  });
  test('invalid UTF-8 → 编码格式错误', () => {
    const open = buf('<xml><body>');
    const close = buf('</body></xml>');
    for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe8, 0x85], [0xf8, 0x88, 0x80, 0x80, 0x80]]) {
      assert.equal(refusal(Buffer.concat([open, Buffer.from(bad), close])), '编码格式错误', `bytes ${bad}`);
    }
    // GBK-encoded "腾讯" as a legacy client would send it
    assert.equal(refusal(Buffer.concat([open, Buffer.from([0xcc, 0xda, 0xd1, 0xb6]), close])), '编码格式错误');
  });
  const malformed: Record<string, string> = {
    'wrong root': '<root><a>1</a></root>',
    'root case': '<XML><a>1</a></XML>',
    'unterminated root': '<xml><a>1</a>',
    'mismatched end tag': '<xml><a>1</b></xml>',
    'unterminated child': '<xml><a>1</xml>',
    'nested element': '<xml><a><b>1</b></a></xml>',
    'text under root': '<xml>hello<a>1</a></xml>',
    'CDATA under root': '<xml><![CDATA[x]]><a>1</a></xml>',
    'trailing garbage': '<xml><a>1</a></xml>junk',
    'two roots': '<xml><a>1</a></xml><xml></xml>',
    'unknown entity': '<xml><a>&nbsp;</a></xml>',
    'bare ampersand': '<xml><a>Tom & Jerry</a></xml>',
    'NUL character reference': '<xml><a>&#0;</a></xml>',
    'raw NUL character': '<xml><a>x\u0000y</a></xml>',
    'surrogate character reference': '<xml><a>&#xD800;</a></xml>',
    'out of range reference': '<xml><a>&#x110000;</a></xml>',
    'unterminated CDATA': '<xml><a><![CDATA[x</a></xml>',
    'unterminated comment': '<xml><a>1</a><!-- </xml>',
    'not XML': '{"appid":"wx"}',
    'bad attribute': '<xml a=1><b>1</b></xml>',
    'JSON-ish text only': 'appid=wx&mch_id=1',
  };
  for (const [name, xml] of Object.entries(malformed)) {
    test(`${name} → XML格式错误`, () => assert.equal(refusal(xml), 'XML格式错误'));
  }
});

describe('hostile input', () => {
  test('XXE payload refused before parsing', () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><appid>&x;</appid></xml>';
    assert.equal(
      fast(() => refusal(xxe)),
      'XML格式错误',
    );
    assert.equal(refusal('<!doctype xml><xml><a>1</a></xml>'), 'XML格式错误');
    assert.equal(refusal('<xml><a>1</a></xml><!EnTiTy x "y">'), 'XML格式错误');
  });
  test('billion laughs refused fast', () => {
    let dtd = '<!ENTITY lol "lol">';
    for (let i = 1; i <= 9; i++) dtd += `<!ENTITY lol${i} "${`&lol${i === 1 ? '' : i - 1};`.repeat(10)}">`;
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [${dtd}]><xml><a>&lol9;</a></xml>`;
    assert.equal(
      fast(() => refusal(bomb)),
      'XML格式错误',
    );
  });
  test('100k-deep nesting refused fast, by the body and by the parser', () => {
    const deep = `<xml>${'<a>'.repeat(100_000)}1${'</a>'.repeat(100_000)}</xml>`;
    assert.equal(
      fast(() => refusal(deep)),
      '请求体过大',
    );
    assert.deepEqual(
      fast(() => parseXmlText(deep)),
      { ok: false, returnMsg: 'XML格式错误' },
    );
    assert.equal(
      fast(() => refusal(`<xml>${'<a>'.repeat(20_000)}`)),
      'XML格式错误',
    );
  });
  test('pathological 64 KiB inputs stay linear', () => {
    const n = MAX_XML_BODY_BYTES - 64;
    const cases = [
      `<xml><a>${'&'.repeat(n)}</a></xml>`,
      `<xml><a>${'&#'.repeat(n / 2)}</a></xml>`,
      `<xml><a>${'<![CDATA['.repeat(n / 9)}</a></xml>`,
      `<xml><!--${'-'.repeat(n)}`,
      `<xml><a x="${'a'.repeat(n)}`,
      `<xml>${'<a/>'.repeat(n / 4)}</xml>`,
      `<xml><a>${' '.repeat(n)}<![CDATA[x]]></a></xml>`,
      `<?${'?'.repeat(n)}`,
    ];
    for (const xml of cases) fast(() => parseXmlBody(buf(xml)));
  });
  test('never throws on arbitrary bytes or markup soup', () => {
    const soup = fc
      .array(
        fc.constantFrom(
          '<xml>',
          '</xml>',
          '<a>',
          '</a>',
          '<a/>',
          '<![CDATA[',
          ']]>',
          '&amp;',
          '&#x41;',
          '&',
          '<',
          '>',
          '<!--',
          '-->',
          '<?',
          '?>',
          '"',
          '=',
          ' ',
          'x',
          '\n',
        ),
        { maxLength: 40 },
      )
      .map((parts) => buf(parts.join('')));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
          soup,
        ),
        (raw) => {
          const r = parseXmlBody(raw);
          assert.equal(typeof r.ok, 'boolean');
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('buildXml', () => {
  test('compact, no declaration, strings in CDATA, numbers bare, empty skipped', () => {
    assert.equal(
      buildXml({ return_code: 'SUCCESS', total_fee: 1, attach: '', openid: undefined, rate: '650000000' }),
      '<xml><return_code><![CDATA[SUCCESS]]></return_code><total_fee>1</total_fee>' + '<rate><![CDATA[650000000]]></rate></xml>',
    );
    assert.equal(buildXml({}), '<xml></xml>');
  });
  test(']]> is split across CDATA sections', () => {
    assert.equal(buildXml({ a: 'x]]>y' }), '<xml><a><![CDATA[x]]]]><![CDATA[>y]]></a></xml>');
    assert.deepEqual(params(buildXml({ a: ']]>]]>' })), { a: ']]>]]>' });
  });
  test('programming errors throw', () => {
    assert.throws(() => buildXml({ 'bad name': 'x' }), TypeError);
    assert.throws(() => buildXml({ a: Number.NaN }), RangeError);
  });
  test('round trip buildXml → parseXmlBody (property)', () => {
    const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,12}$/);
    const tricky = fc
      .array(fc.constantFrom(']]>', ']]', ']', '>', '<', '&', '&amp;', '<![CDATA[', '</a>', ' ', '\n', '\r\n', '\t', '"', "'", '😀', '中'), {
        maxLength: 8,
      })
      .map((p) => p.join(''));
    // XML has no NUL character (the parser refuses it, tested above), so values never carry one.
    const text = fc.string({ unit: 'binary', maxLength: 40 }).map((v) => v.replaceAll('\u0000', ''));
    const value = fc.oneof(text, tricky, fc.integer(), fc.constant(''));
    fc.assert(
      fc.property(fc.dictionary(name, value, { maxKeys: 12 }), (fields) => {
        const expected = Object.fromEntries(
          Object.entries(fields)
            .filter(([, v]) => v !== '')
            .map(([k, v]) => [k, String(v)]),
        );
        assert.deepEqual(params(buildXml(fields)), expected);
      }),
      { numRuns: 1000 },
    );
  });
});
