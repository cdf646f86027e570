/**
 * The layout rules the code keeps (docs/architecture.md): no import cycle between `src/` files (type-only
 * imports count), `core/` imports nothing of the project, no function over 100 lines outside the browser
 * page, and one declaration of `Goal`. Read from the TypeScript sources with the compiler's own parser.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const srcDir = path.join(root, 'src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

const files = sourceFiles(srcDir);
const parsed = new Map(files.map((f) => [f, ts.createSourceFile(f, fs.readFileSync(f, 'utf8'), ts.ScriptTarget.ES2022, true)]));
const rel = (f: string): string => path.relative(root, f);

/** Every project file `file` imports (static, re-exported, type-only or dynamic). */
function importsOf(file: string): string[] {
  const source = parsed.get(file)!;
  const specifiers: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      specifiers.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      specifiers.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers
    .filter((s) => s.startsWith('.'))
    .map((s) => path.resolve(path.dirname(file), s).replace(/\.js$/, '.ts'))
    .filter((f) => parsed.has(f));
}

const graph = new Map(files.map((f) => [f, importsOf(f)]));

/** Strongly connected components of more than one file (or a file importing itself): Tarjan's algorithm. */
function cycles(): string[][] {
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string): void => {
    order.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)!) {
      if (!order.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, order.get(w)!));
      }
    }
    if (low.get(v) === order.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)!.includes(v)) found.push(component.map(rel).sort());
    }
  };
  for (const f of files) if (!order.has(f)) connect(f);
  return found;
}

test('no import cycle between src/ files (type-only imports count)', () => {
  assert.deepEqual(cycles(), []);
});

test('core/ is a leaf: it imports nothing of the project outside core/', () => {
  const core = path.join(srcDir, 'core') + path.sep;
  const outside = files
    .filter((f) => f.startsWith(core))
    .flatMap((f) => graph.get(f)!.filter((to) => !to.startsWith(core)).map((to) => `${rel(f)} → ${rel(to)}`));
  assert.deepEqual(outside, []);
});

test('core/ and storage/ do not import the sweep file types', () => {
  const sweepFile = path.join(srcDir, 'sweep-file') + path.sep;
  const layers = ['core', 'storage'].map((d) => path.join(srcDir, d) + path.sep);
  const wrong = files
    .filter((f) => layers.some((l) => f.startsWith(l)))
    .flatMap((f) => graph.get(f)!.filter((to) => to.startsWith(sweepFile)).map((to) => `${rel(f)} → ${rel(to)}`));
  assert.deepEqual(wrong, []);
});

/** Functions (declarations, methods, constructors, arrows, accessors) longer than `limit` lines. */
function longFunctions(limit: number): string[] {
  const long: string[] = [];
  for (const [file, source] of parsed) {
    if (file.startsWith(path.join(srcDir, 'report', 'page') + path.sep)) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
        const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        const name = node.name && ts.isIdentifier(node.name) ? node.name.text : ts.SyntaxKind[node.kind];
        if (end - start + 1 > limit) long.push(`${rel(file)}:${start + 1} ${name} (${end - start + 1} lines)`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return long;
}

test('no function over 100 lines outside src/report/page/', () => {
  assert.deepEqual(longFunctions(100), []);
});

test('the metric goal is declared once', () => {
  const declarations = [...parsed].flatMap(([file, source]) =>
    source.statements
      .filter((s) => (ts.isTypeAliasDeclaration(s) || ts.isInterfaceDeclaration(s)) && s.name.text === 'Goal')
      .map(() => rel(file)),
  );
  assert.equal(declarations.length, 1, declarations.join(', '));
});

test('the sweep-file folder is src/sweep-file/ (no src/spec/)', () => {
  assert.equal(fs.existsSync(path.join(srcDir, 'spec')), false);
  assert.equal(fs.existsSync(path.join(srcDir, 'sweep-file')), true);
});
