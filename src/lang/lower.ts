import { GraphBuilder, ShapeError } from '../ir/builder.ts';
import type { Graph, NodeId } from '../ir/graph.ts';
import type { BinaryPrim } from '../ir/primitives.ts';
import { formatShape, numel, type Shape } from '../ir/shape.ts';
import type { Expr, Program, Span, Statement } from './ast.ts';
import { diagnostic, type Diagnostic } from './diagnostics.ts';
import { CallError, FUNCTIONS, matmul, suggest } from './functions.ts';

/** Size bindings such as { n: 4, m: 3 }. */
export type Sizes = Readonly<Record<string, number>>;

/** Largest element count of one input (2²⁸ doubles is 2 GiB); bigger programs are refused up front. */
export const MAX_ELEMENTS = 2 ** 28;

export interface PortInfo {
  readonly name: string;
  readonly shape: Shape;
}

export interface Lowered {
  /** The typed graph, or undefined when there are errors. */
  readonly graph: Graph | undefined;
  readonly diagnostics: Diagnostic[];
  readonly inputs: PortInfo[];
  readonly outputs: PortInfo[];
}

const OPERATORS: Record<'+' | '-' | '*' | '/' | '^', { prim: BinaryPrim; verb: string }> = {
  '+': { prim: 'add', verb: 'add' },
  '-': { prim: 'sub', verb: 'subtract' },
  '*': { prim: 'mul', verb: 'multiply' },
  '/': { prim: 'div', verb: 'divide' },
  '^': { prim: 'pow', verb: 'raise' },
};

type Binding = { readonly id: NodeId; readonly span: Span } | 'poisoned';

/**
 * Shape-checks a parsed program with its sizes bound and lowers it to a typed graph. Every problem
 * becomes a diagnostic at the offending token; a failed binding is "poisoned" so its later uses do
 * not repeat the error.
 */
export function lower(program: Program, sizes: Sizes, source: string): Lowered {
  const b = new GraphBuilder();
  const diagnostics: Diagnostic[] = [];
  const env = new Map<string, Binding>();
  const inputs: PortInfo[] = [];
  const outputs: PortInfo[] = [];
  const inputSpans = new Map<string, Span>();
  const text = (e: Expr) => {
    const t = source.slice(e.span.offset, e.span.offset + e.span.length);
    return t.length > 24 ? `${t.slice(0, 21)}...` : t;
  };
  const error = (kind: Diagnostic['kind'], message: string, span: Span) => diagnostics.push(diagnostic(kind, message, span));

  const lowerExpr = (e: Expr): NodeId | null => {
    switch (e.kind) {
      case 'number':
        return b.constant(e.value);
      case 'name': {
        const bound = env.get(e.name);
        if (bound === 'poisoned') return null;
        if (bound !== undefined) return bound.id;
        if (e.name in sizes && Number.isFinite(sizes[e.name])) return b.constant(sizes[e.name]);
        if (e.name in FUNCTIONS) {
          error('unknown-name', `'${e.name}' is a function: call it with an argument, like ${e.name}(x)`, e.span);
        } else {
          const hint = suggest(e.name, env.keys());
          error('unknown-name', `unknown name '${e.name}'${hint ? `; did you mean '${hint}'?` : ': define it first with `input` or `=`'}`, e.span);
        }
        return null;
      }
      case 'unary': {
        const x = lowerExpr(e.operand);
        if (x === null) return null;
        return e.op === '-' ? b.neg(x) : x;
      }
      case 'binary': {
        const x = lowerExpr(e.left);
        const y = lowerExpr(e.right);
        if (x === null || y === null) return null;
        try {
          if (e.op === '@') return matmul(b, x, y);
          return b.apply(OPERATORS[e.op].prim, [x, y], {});
        } catch (err) {
          if (!(err instanceof ShapeError || err instanceof CallError)) throw err;
          const message = e.op === '@'
            ? err.message
            : `cannot ${OPERATORS[e.op].verb} ${text(e.left)} ${formatShape(b.shape(x))} and ${text(e.right)} ${formatShape(b.shape(y))}: `
              + 'shapes must be equal, or broadcast (matching from the right, each size equal or 1)';
          error('shape-mismatch', message, e.opSpan);
          return null;
        }
      }
      case 'call':
        return lowerCall(e);
    }
  };

  const lowerCall = (e: Extract<Expr, { kind: 'call' }>): NodeId | null => {
    const def = FUNCTIONS[e.callee];
    if (def === undefined) {
      const bound = env.get(e.callee);
      const hint = suggest(e.callee, Object.keys(FUNCTIONS));
      const message = bound !== undefined
        ? `'${e.callee}' is a value, not a function`
        : `unknown function '${e.callee}'${hint ? `; did you mean '${hint}'?` : ''}`;
      error('unknown-name', message, e.calleeSpan);
      return null;
    }
    if (!def.arity.includes(e.args.length)) {
      const counts = def.arity.join(' or ');
      error('arity', `${e.callee} takes ${counts} argument${def.arity.at(-1) === 1 ? '' : 's'} (${def.signature}), got ${e.args.length}`, e.span);
      return null;
    }
    const valueArgs = e.args.filter((_, i) => i !== def.axisArg);
    const args = valueArgs.map(lowerExpr);
    if (args.some((a) => a === null)) return null;
    const values = args as NodeId[];
    let axis: number | undefined;
    if (def.axisArg !== undefined && e.args.length > def.axisArg) {
      const axisExpr = e.args[def.axisArg];
      const rank = b.shape(values[0]).length;
      const literal = integerLiteral(axisExpr);
      if (literal === undefined) {
        error('shape-mismatch', `the axis of ${e.callee} must be a whole number written out, like 0 or 1`, axisExpr.span);
        return null;
      }
      if (literal < -rank || literal >= rank) {
        error('shape-mismatch', `axis ${literal} is out of range for ${text(e.args[0])} ${formatShape(b.shape(values[0]))}${rank > 0 ? `: use 0..${rank - 1}` : ''}`, axisExpr.span);
        return null;
      }
      axis = literal < 0 ? literal + rank : literal;
    }
    try {
      return def.lower({ b, args: values, axis });
    } catch (err) {
      if (!(err instanceof ShapeError || err instanceof CallError)) throw err;
      const span = err instanceof CallError && err.arg !== undefined ? e.args[err.arg].span : e.span;
      const shapes = values.map((v) => formatShape(b.shape(v))).join(', ');
      error('shape-mismatch', err instanceof CallError ? err.message : `${e.callee}(${shapes}): ${err.message}`, span);
      return null;
    }
  };

  const declareInput = (s: Extract<Statement, { kind: 'input' }>) => {
    const shape: number[] = [];
    let ok = true;
    for (const d of s.dims) {
      if (d.kind === 'int') {
        shape.push(d.value);
        continue;
      }
      const value = sizes[d.name];
      if (value === undefined) {
        error('unbound-size', `size '${d.name}' has no value: give it one, e.g. --size ${d.name}=4`, d.span);
        ok = false;
      } else if (!Number.isInteger(value) || value < 1) {
        error('invalid-size', `size '${d.name}' must be a positive whole number, got ${value}`, d.span);
        ok = false;
      } else {
        shape.push(value);
      }
    }
    if (ok && numel(shape) > MAX_ELEMENTS) {
      error('too-large', `input '${s.name}' ${formatShape(shape)} has ${numel(shape)} elements, more than the ${MAX_ELEMENTS} this engine accepts`, s.nameSpan);
      ok = false;
    }
    if (!ok) {
      env.set(s.name, 'poisoned');
      return;
    }
    env.set(s.name, { id: b.input(s.name, shape), span: s.nameSpan });
    inputs.push({ name: s.name, shape });
    inputSpans.set(s.name, s.nameSpan);
  };

  const markOutput = (name: string) => {
    const bound = env.get(name);
    if (bound === undefined || bound === 'poisoned') return;
    if (outputs.some((o) => o.name === name)) return;
    b.output(name, bound.id);
    outputs.push({ name, shape: b.shape(bound.id) });
  };

  for (const s of program.statements) {
    if (s.kind !== 'output' && env.has(s.name)) continue; // a second definition: the parser reported it
    switch (s.kind) {
      case 'input':
        declareInput(s);
        break;
      case 'let': {
        const id = lowerExpr(s.value);
        if (id !== null) b.label(id, s.name);
        env.set(s.name, id === null ? 'poisoned' : { id, span: s.nameSpan });
        if (s.output) markOutput(s.name);
        break;
      }
      case 'output':
        markOutput(s.name);
        break;
    }
  }

  const hasError = diagnostics.some((d) => d.severity === 'error');
  if (!hasError && outputs.length === 0) {
    const last = program.statements.at(-1);
    const span = last?.span ?? { line: 1, column: 1, length: 1, offset: 0 };
    error('no-output', 'the program has no outputs: mark a result with `output y = ...` or `output name`', span);
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { graph: undefined, diagnostics, inputs, outputs };

  const graph = b.finish();
  const used = new Set<NodeId>();
  for (const n of graph.nodes) for (const a of n.args) used.add(a);
  for (const o of graph.outputs) used.add(o.id);
  for (const p of graph.inputs) {
    if (used.has(p.id)) continue;
    diagnostics.push(diagnostic('unused-input', `input '${p.name}' does not affect any output, so its derivatives are all zero`, inputSpans.get(p.name)!, 'warning'));
  }
  return { graph, diagnostics, inputs, outputs };
}

/** The integer an axis argument spells out (`1`, `-1`), or undefined if it is anything else. */
function integerLiteral(e: Expr): number | undefined {
  if (e.kind === 'number') return Number.isInteger(e.value) ? e.value : undefined;
  if (e.kind === 'unary' && e.operand.kind === 'number') {
    const v = integerLiteral(e.operand);
    return v === undefined ? undefined : e.op === '-' ? -v : v;
  }
  return undefined;
}
