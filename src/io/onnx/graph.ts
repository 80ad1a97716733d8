import { AttributeType, DataType } from './schema.js';

/** Plain objects in the shape of the protobuf messages (protobufjs fills in the rest). */
export interface AttributeMsg { name: string; type: number; f?: number; i?: number; s?: Uint8Array; floats?: number[]; ints?: number[] }
export interface NodeMsg { name: string; opType: string; input: string[]; output: string[]; attribute: AttributeMsg[] }
export interface TensorMsg { name: string; dims: number[]; dataType: number; rawData: Uint8Array }
export interface ValueInfoMsg { name: string; type: { tensorType: { elemType: number; shape: { dim: ({ dimValue: number } | { dimParam: string })[] } } } }

export type AttrValue = number | number[] | string | { float: number } | { floats: number[] };

function attribute(name: string, value: AttrValue): AttributeMsg {
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`ONNX attribute '${name}': ${value} is not an integer; wrap floats as { float: x }`);
    return { name, type: AttributeType.INT, i: value };
  }
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  return { name, type: AttributeType.FLOATS, floats: value.floats };
}

/** Collects nodes and initializers with unique names, in topological order. */
export class GraphBuilder {
  readonly nodes: NodeMsg[] = [];
  readonly initializers: TensorMsg[] = [];
  private readonly used = new Set<string>();

  unique(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./-]/g, '_');
    let name = clean;
    for (let k = 1; this.used.has(name); k++) name = `${clean}_${k}`;
    this.used.add(name);
    return name;
  }

  /** Adds a float32 constant (weights are exported as float32 whatever the model's dtype). */
  constant(base: string, dims: number[], values: ArrayLike<number>): string {
    const name = this.unique(base);
    const data = Float32Array.from(values);
    this.initializers.push({ name, dims, dataType: DataType.FLOAT, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  /** Adds an int64 constant (shapes, pads, axes and sizes that ops take as inputs). */
  int64(base: string, values: number[]): string {
    const name = this.unique(base);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims: [values.length], dataType: DataType.INT64, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  /** Appends a node and returns the name of its (single) output. */
  node(opType: string, inputs: string[], base: string, attrs: Record<string, AttrValue> = {}): string {
    const output = this.unique(`${base}/${opType}`);
    this.nodes.push({
      name: output,
      opType,
      input: inputs,
      output: [output],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return output;
  }
}

export function valueInfo(name: string, dims: (number | string)[]): ValueInfoMsg {
  return {
    name,
    type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  };
}
