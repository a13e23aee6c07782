/**
 * No SQL text is built from values: values travel as bind parameters, so no quoting bug can exist. A lint over
 * src/, bench/ and test/helpers/, with the TypeScript compiler's type checker (no lint package answers "is this
 * interpolation a value?"; the types do):
 * - every `${…}` inside a template literal that reads as SQL must be text the code chose: an expression whose type
 *   is a string literal (or a union of them), an UPPER_CASE constant and what is derived from it (column lists),
 *   `placeholders(n)`, or an identifier through `escapeIdentifier`;
 * - no hand-made literals or driver internals (`pg/lib/…`, `escapeLiteral`, `E'…'` builders), and no SQL-level
 *   prepared statements (PREPARE / EXECUTE / DEALLOCATE: they break behind PgBouncer's transaction pooling).
 * The last test feeds the lint the old splicing shapes and checks that it refuses them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '../..');
const SQL = /\b(SELECT|INSERT\s+INTO|UPDATE|DELETE\s+FROM|WHERE|VALUES|CREATE|DROP|ALTER)\b/;
const SQL_PREPARE = /\bPREPARE\s+\w+\s+AS\b|\bEXECUTE\s+\w+\s*\(|\bDEALLOCATE\b/i;
const FORBIDDEN_NAMES = new Set(['escapeLiteral', 'sqlLiteral', 'inlineParams', 'prepareValue']);
const ALLOWED_CALLS = new Set(['placeholders', 'escapeIdentifier']);
const CONSTANT = /^[A-Z][A-Z0-9_]*$/;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : name.endsWith('.ts') ? [path] : [];
  });
}

function isLiteralText(type: ts.Type): boolean {
  if (type.isUnion()) return type.types.every(isLiteralText);
  return type.isStringLiteral();
}

/** Text the code chose, not a value. */
function chosenText(expr: ts.Expression, checker: ts.TypeChecker): boolean {
  if (ts.isParenthesizedExpression(expr)) return chosenText(expr.expression, checker);
  if (ts.isConditionalExpression(expr)) return chosenText(expr.whenTrue, checker) && chosenText(expr.whenFalse, checker);
  if (ts.isTemplateExpression(expr)) return expr.templateSpans.every((s) => chosenText(s.expression, checker));
  if (isLiteralText(checker.getTypeAtLocation(expr))) return true;
  if (ts.isIdentifier(expr)) return CONSTANT.test(expr.text);
  if (ts.isPropertyAccessExpression(expr)) return ts.isIdentifier(expr.expression) && CONSTANT.test(expr.expression.text) && expr.name.text === 'length';
  if (ts.isCallExpression(expr)) {
    const callee = expr.expression;
    const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
    if (ALLOWED_CALLS.has(name)) return true;
    // COLUMNS.join(', '), COLUMNS.slice(1).map((c, i) => `${c} = $${i + 2}`).join(', '): derived from a constant.
    if (ts.isPropertyAccessExpression(callee) && ['join', 'map', 'slice'].includes(name)) {
      return chosenText(callee.expression, checker) || rootedInConstant(callee.expression);
    }
  }
  return false;
}

function rootedInConstant(expr: ts.Expression): boolean {
  if (ts.isIdentifier(expr)) return CONSTANT.test(expr.text);
  if (ts.isCallExpression(expr) && ts.isPropertyAccessExpression(expr.expression)) return rootedInConstant(expr.expression.expression);
  if (ts.isPropertyAccessExpression(expr)) return rootedInConstant(expr.expression);
  return false;
}

/** Every place where SQL text is made from something else than chosen text, as `file:line: reason`. */
function splicedSql(files: readonly string[]): string[] {
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const found: string[] = [];
  for (const file of files) {
    const source = program.getSourceFile(file)!;
    const at = (node: ts.Node, reason: string) => {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
      found.push(`${relative(ROOT, file)}:${line + 1}: ${reason}`);
    };
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && /^pg\/lib\//.test(node.moduleSpecifier.text)) {
        at(node, `driver internals ${node.moduleSpecifier.text}`);
      }
      if (ts.isStringLiteral(node) && /^pg\/lib\//.test(node.text)) at(node, `driver internals ${node.text}`);
      if (ts.isIdentifier(node) && FORBIDDEN_NAMES.has(node.text)) at(node, `hand-made literal (${node.text})`);
      if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) {
        const text = ts.isTemplateExpression(node) ? [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' ') : node.text;
        if (SQL_PREPARE.test(text)) at(node, 'SQL-level prepared statement');
        if (ts.isTemplateExpression(node) && SQL.test(text)) {
          for (const span of node.templateSpans) {
            if (!chosenText(span.expression, checker)) at(span.expression, `value spliced into SQL text: \${${span.expression.getText(source)}}`);
          }
          return; // nested templates were judged as part of this one
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

test('no SQL text built from values in src/, bench/, test/helpers/', { timeout: 120_000 }, () => {
  const files = [...filesUnder(join(ROOT, 'src')), ...filesUnder(join(ROOT, 'bench')), ...filesUnder(join(ROOT, 'test/helpers'))];
  assert.deepEqual(splicedSql(files), []);
});

test('the lint refuses the splicing shapes it exists for', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tradegate-sql-lint-'));
  try {
    const file = join(dir, 'spliced.ts');
    // biome-ignore-start lint/suspicious/noTemplateCurlyInString: source text under test
    writeFileSync(
      file,
      [
        "import { createRequire } from 'node:module';",
        "const utils = createRequire(import.meta.url)('pg/lib/utils.js');",
        'declare const db: { query(sql: string, params?: unknown[]): Promise<unknown> };',
        "const escapeLiteral = (v: string) => `E'${v}'`;",
        'export function find(mchid: string, limit: number, lock: boolean) {',
        "  const COLUMNS = ['id', 'mchid'];",
        "  const where = lock ? 'id = $1' : 'mchid = $1';",
        "  db.query(`SELECT ${COLUMNS.join(', ')} FROM orders WHERE ${where}${lock ? ' FOR UPDATE' : ''}`, [mchid]);",
        "  db.query(`SELECT * FROM merchants WHERE mchid = '${mchid}'`);",
        '  db.query(`SELECT * FROM orders LIMIT ${limit}`);',
        "  db.query('PREPARE tg_1 AS SELECT 1');",
        '  return [utils, escapeLiteral];',
        '}',
        '',
      ].join('\n'),
    );
    const found = splicedSql([file]).map((f) => f.replace(/^.*spliced\.ts:/, ''));
    assert.deepEqual(found, [
      '2: driver internals pg/lib/utils.js',
      '4: hand-made literal (escapeLiteral)',
      '9: value spliced into SQL text: ${mchid}',
      '10: value spliced into SQL text: ${limit}',
      '11: SQL-level prepared statement',
      '12: hand-made literal (escapeLiteral)',
    ]);
    // biome-ignore-end lint/suspicious/noTemplateCurlyInString: end of it
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
