// Prints expressions back as source text with as few parentheses as the grammar allows, so that
// parsing the result gives the same tree (spans aside). Used in messages and the UI.
import type { BinaryOp, Expr } from './ast.ts';

// Binding strength, loosest first; mirrors the grammar in parser.ts.
const SUM = 1;
const PRODUCT = 2;
const SIGNED = 3;
const POWER = 4;
const ATOM = 5;

const BINARY_LEVEL: { [Op in BinaryOp]: number } = {
  '+': SUM,
  '-': SUM,
  '*': PRODUCT,
  '/': PRODUCT,
  '@': PRODUCT,
  '^': POWER,
};

/** Source text for an expression, e.g. `tanh(W @ x + b)`, `-x^2`, `(a + b) * c`. */
export function formatExpr(expr: Expr): string {
  switch (expr.kind) {
    case 'number':
      return expr.text;
    case 'name':
      return expr.name;
    case 'call':
      return `${expr.callee}(${expr.args.map(formatExpr).join(', ')})`;
    case 'unary':
      return expr.op + operand(expr.operand, SIGNED);
    case 'binary': {
      const level = BINARY_LEVEL[expr.op];
      // `^` is right-associative and takes a signed operand on the right (2^-x);
      // the others are left-associative.
      if (expr.op === '^') return `${operand(expr.left, POWER + 1)}^${operand(expr.right, SIGNED)}`;
      return `${operand(expr.left, level)} ${expr.op} ${operand(expr.right, level + 1)}`;
    }
    default:
      return expr satisfies never;
  }
}

/** Prints `expr` where the grammar needs something binding at least as tightly as `level`. */
function operand(expr: Expr, level: number): string {
  const text = formatExpr(expr);
  return levelOf(expr) < level ? `(${text})` : text;
}

function levelOf(expr: Expr): number {
  switch (expr.kind) {
    case 'number':
    case 'name':
    case 'call':
      return ATOM;
    case 'unary':
      return SIGNED;
    case 'binary':
      return BINARY_LEVEL[expr.op];
    default:
      return expr satisfies never;
  }
}
