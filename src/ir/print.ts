import type { AnyNode, Graph, NodeId } from './graph.ts';
import { formatShape } from './shape.ts';

/** How a node is referred to: inputs by name, constants by value, the rest as %id. */
function refName(graph: Graph, id: NodeId): string {
  const n = graph.nodes[id];
  if (n.op === 'input') return n.params.name;
  if (n.op === 'const') return String(n.params.value);
  return `%${id}`;
}

function formatParams(n: AnyNode): string {
  switch (n.op) {
    case 'broadcast':
    case 'reshape':
      return `{${formatShape(n.params.from)} → ${formatShape(n.params.to)}}`;
    case 'sum':
    case 'reduce_max':
    case 'logsumexp':
      return `{axes ${n.params.axes.join(', ')}}`;
    default:
      return '';
  }
}

/**
 * A readable listing of a graph, one node per line:
 *
 *     graph(x: [3], W: [2, 3]) {
 *       %2 = reshape{[3] → [3, 1]}(x) : [3, 1]
 *       ...
 *       return y = %7
 *     }
 */
export function formatGraph(graph: Graph): string {
  const params = graph.inputs.map((p) => `${p.name}: ${formatShape(graph.nodes[p.id].shape)}`).join(', ');
  const lines = [`graph(${params}) {`];
  for (const n of graph.nodes) {
    if (n.op === 'input' || n.op === 'const') continue;
    const args = n.args.map((a) => refName(graph, a)).join(', ');
    const label = graph.labels?.get(n.id);
    lines.push(`  %${n.id} = ${n.op}${formatParams(n)}(${args}) : ${formatShape(n.shape)}${label ? `  # ${label}` : ''}`);
  }
  lines.push(`  return ${graph.outputs.map((p) => `${p.name} = ${refName(graph, p.id)}`).join(', ')}`);
  lines.push('}');
  return lines.join('\n');
}

/** Graphviz DOT source for the graph (inputs as ellipses, outputs as double boxes). */
export function graphToDot(graph: Graph, title = 'graph'): string {
  // Quote for DOT; line breaks become Graphviz's own \n escape.
  const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  const lines = [`digraph ${q(title)} {`, '  rankdir=TB;', '  node [fontname="Helvetica", fontsize=11];'];
  for (const n of graph.nodes) {
    const shape = formatShape(n.shape);
    if (n.op === 'input') lines.push(`  n${n.id} [shape=ellipse, label=${q(`${n.params.name}\n${shape}`)}];`);
    else if (n.op === 'const') lines.push(`  n${n.id} [shape=plaintext, label=${q(String(n.params.value))}];`);
    else lines.push(`  n${n.id} [shape=box, label=${q(`${graph.labels?.get(n.id) ? `${graph.labels.get(n.id)} = ` : ''}${n.op}${formatParams(n)}\n${shape}`)}];`);
    for (const a of n.args) lines.push(`  n${a} -> n${n.id};`);
  }
  graph.outputs.forEach((p, i) => {
    lines.push(`  out${i} [shape=box, peripheries=2, label=${q(p.name)}];`);
    lines.push(`  n${p.id} -> out${i};`);
  });
  lines.push('}');
  return lines.join('\n');
}
