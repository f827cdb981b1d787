/**
 * What a V8 heap snapshot (`v8.writeHeapSnapshot`) holds, to say what the memory of an open story
 * is made of: the growth by constructor between two snapshots of one server (before any client
 * came, and with the stories open) divided by the number of stories, and what the per-story
 * objects of each class keep alive (retained sizes, by removing them from the graph).
 */
import { readFileSync } from 'node:fs';

interface RawSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** A parsed snapshot as a graph: node types, names, sizes and strong out-edges. */
interface Graph {
  count: number;
  typeOf(node: number): string;
  nameOf(node: number): string;
  size(node: number): number;
  /** Strong (not weak, not shortcut) edges of each node: `targets[firstEdge[n] .. firstEdge[n + 1])`. */
  firstEdge: Int32Array;
  targets: Int32Array;
}

function graphOf(file: string): Graph {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as RawSnapshot;
  const {
    node_fields: fields,
    node_types: nodeTypes,
    edge_fields: edgeFields,
    edge_types: edgeTypes,
  } = raw.snapshot.meta;
  const width = fields.length;
  const edgeWidth = edgeFields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const edgeCountAt = fields.indexOf('edge_count');
  const edgeTypeAt = edgeFields.indexOf('type');
  const edgeToAt = edgeFields.indexOf('to_node');
  const weak = edgeTypes[0].indexOf('weak');
  const shortcut = edgeTypes[0].indexOf('shortcut');
  const count = raw.nodes.length / width;
  const firstEdge = new Int32Array(count + 1);
  const targets = new Int32Array(raw.edges.length / edgeWidth);
  let edge = 0;
  let kept = 0;
  for (let node = 0; node < count; node++) {
    firstEdge[node] = kept;
    const edges = raw.nodes[node * width + edgeCountAt] as number;
    for (let k = 0; k < edges; k++, edge += edgeWidth) {
      const type = raw.edges[edge + edgeTypeAt] as number;
      if (type === weak || type === shortcut) continue;
      targets[kept++] = (raw.edges[edge + edgeToAt] as number) / width;
    }
  }
  firstEdge[count] = kept;
  const nodes = raw.nodes;
  const strings = raw.strings;
  const types = nodeTypes[0];
  return {
    count,
    typeOf: (node) => types[nodes[node * width + typeAt] as number] ?? '?',
    nameOf: (node) => strings[nodes[node * width + nameAt] as number] ?? '?',
    size: (node) => nodes[node * width + sizeAt] as number,
    firstEdge,
    targets,
  };
}

/** Bytes reachable from the root (node 0) without passing through any node in `removed`. */
function reachableBytes(graph: Graph, removed: Uint8Array): number {
  const seen = new Uint8Array(graph.count);
  const stack = new Int32Array(graph.count);
  let top = 0;
  let bytes = 0;
  stack[top++] = 0;
  seen[0] = 1;
  while (top > 0) {
    const node = stack[--top] as number;
    bytes += graph.size(node);
    for (let e = graph.firstEdge[node] as number; e < (graph.firstEdge[node + 1] as number); e++) {
      const to = graph.targets[e] as number;
      if (seen[to] === 1 || removed[to] === 1) continue;
      seen[to] = 1;
      stack[top++] = to;
    }
  }
  return bytes;
}

/**
 * What each class of object keeps alive, per story: for every class with between `min` and `max`
 * instances per story (the per-story objects), the bytes that would become unreachable if all its
 * instances went, divided by `per`. Classes overlap (a room holds its document), so the lines do
 * not add up.
 */
export function retainedByClass(file: string, per: number, min = 0.9, max = 4.1, top = 15): string {
  const graph = graphOf(file);
  const instances = new Map<string, number[]>();
  for (let node = 0; node < graph.count; node++) {
    if (graph.typeOf(node) !== 'object') continue;
    const name = graph.nameOf(node);
    let list = instances.get(name);
    if (list === undefined) {
      list = [];
      instances.set(name, list);
    }
    list.push(node);
  }
  const all = reachableBytes(graph, new Uint8Array(graph.count));
  const rows: [string, number, number][] = [];
  for (const [name, nodes] of instances) {
    const perStory = nodes.length / per;
    if (perStory < min || perStory > max || name === 'Object' || name === 'Array' || name.startsWith('system /'))
      continue;
    const removed = new Uint8Array(graph.count);
    for (const node of nodes) removed[node] = 1;
    rows.push([name, perStory, (all - reachableBytes(graph, removed)) / per]);
  }
  rows.sort((a, b) => b[2] - a[2]);
  return [
    'retained per story by the per-story objects of each class (what would be freed without them; lines overlap):',
    ...rows
      .slice(0, top)
      .map(
        ([name, perStory, bytes]) =>
          `  ${(bytes / 1024).toFixed(1).padStart(6)} KiB  ${perStory.toFixed(1).padStart(4)} per story  ${name}`,
      ),
  ].join('\n');
}

export interface HeapGroup {
  count: number;
  bytes: number;
}

/** Shallow (self) size and count per node: objects by constructor name, the rest by node type. */
export function heapByConstructor(file: string): Map<string, HeapGroup> {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as RawSnapshot;
  const fields = raw.snapshot.meta.node_fields;
  const types = raw.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const groups = new Map<string, HeapGroup>();
  for (let i = 0; i < raw.nodes.length; i += width) {
    const type = types[raw.nodes[i + typeAt] as number] ?? '?';
    const name = raw.strings[raw.nodes[i + nameAt] as number] ?? '?';
    // Objects (and closures) by what made them; strings, code, arrays and V8's own by their kind.
    const key = type === 'object' ? name : type === 'closure' ? `(closure) ${name || '(anonymous)'}` : `(${type})`;
    const group = groups.get(key) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += raw.nodes[i + sizeAt] as number;
    groups.set(key, group);
  }
  return groups;
}

/** The groups that grew most from `before` to `after`, per one of `per` things (stories), as text. */
export function heapGrowth(
  title: string,
  before: Map<string, HeapGroup>,
  after: Map<string, HeapGroup>,
  per: number,
  top = 20,
): string {
  const grown: [string, number, number][] = [];
  let total = 0;
  for (const [key, group] of after) {
    const earlier = before.get(key) ?? { count: 0, bytes: 0 };
    const bytes = group.bytes - earlier.bytes;
    total += bytes;
    grown.push([key, bytes, group.count - earlier.count]);
  }
  for (const [key, group] of before) if (!after.has(key)) total -= group.bytes;
  grown.sort((a, b) => b[1] - a[1]);
  return [
    `${title}: heap objects grew by ${(total / 1024 / per).toFixed(1)} KiB per story (shallow sizes; per story: bytes, objects)`,
    ...grown
      .slice(0, top)
      .map(
        ([key, bytes, count]) =>
          `  ${(bytes / per).toFixed(0).padStart(7)} B ${(count / per).toFixed(1).padStart(6)}  ${key}`,
      ),
  ].join('\n');
}
