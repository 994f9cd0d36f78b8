// A small WebAssembly binary encoder: just enough of the format (types, functions, locals, an own or an
// imported shared memory, exports, and the scalar and SIMD opcodes our kernels use) to build modules at run time from
// TypeScript, so the repository holds no binary blobs and needs no wasm toolchain.
// Format reference: https://webassembly.github.io/spec/core/binary/

/** Value types, by their binary codes. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValueType = typeof I32 | typeof F32 | typeof F64 | typeof V128;

/** Unsigned LEB128, the format's variable-length encoding of counts, indices and offsets. */
export function unsignedLeb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer (the immediate of i32.const). */
export function signedLeb(n: number): number[] {
  const out: number[] = [];
  n |= 0;
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const utf8 = (s: string) => [...new TextEncoder().encode(s)];

/** A vector: its length, then its items. */
const vector = (items: number[][]) => [...unsignedLeb(items.length), ...items.flat()];

/** A section: its id, its byte length, then its content. */
const section = (id: number, content: number[]) => [id, ...unsignedLeb(content.length), ...content];

/** Alignment (log2 of bytes) and constant byte offset of a memory access. */
const memarg = (alignLog2: number, offset: number) => [...unsignedLeb(alignLog2), ...unsignedLeb(offset)];

const SIMD_PREFIX = 0xfd;

/**
 * The body of one function: an append-only list of instructions. Each method emits one instruction (or,
 * for the structured ones, its opening and `end`) and returns `this`, so code reads as in the text format.
 */
export class Code {
  readonly bytes: number[] = [];
  private readonly localTypes: ValueType[] = [];

  constructor(private readonly paramCount: number) {}

  /** Declares a local and returns its index (after the parameters). */
  local(type: ValueType): number {
    this.localTypes.push(type);
    return this.paramCount + this.localTypes.length - 1;
  }

  private op(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }

  private simd(opcode: number, ...immediates: number[]): this {
    return this.op(SIMD_PREFIX, ...unsignedLeb(opcode), ...immediates);
  }

  localGet(i: number) { return this.op(0x20, ...unsignedLeb(i)); }
  localSet(i: number) { return this.op(0x21, ...unsignedLeb(i)); }
  localTee(i: number) { return this.op(0x22, ...unsignedLeb(i)); }
  i32Const(n: number) { return this.op(0x41, ...signedLeb(n)); }
  i32Add() { return this.op(0x6a); }
  i32Sub() { return this.op(0x6b); }
  i32Mul() { return this.op(0x6c); }
  i32Eqz() { return this.op(0x45); }
  i32Eq() { return this.op(0x46); }
  i32Ne() { return this.op(0x47); }
  i32And() { return this.op(0x71); }
  i32ShrU() { return this.op(0x76); }
  call(functionIndex: number) { return this.op(0x10, ...unsignedLeb(functionIndex)); }
  /** Branches to the enclosing block `depth` levels out (0 = innermost) when the i32 on the stack is not 0. */
  brIf(depth: number) { return this.op(0x0d, ...unsignedLeb(depth)); }

  /** `if … end` on the i32 on the stack. */
  if(body: () => void): this {
    this.op(0x04, 0x40);
    body();
    return this.op(0x0b);
  }

  /** `loop … end`: a `brIf(0)` inside `body` jumps back to its start. */
  loop(body: () => void): this {
    this.op(0x03, 0x40);
    body();
    return this.op(0x0b);
  }

  /** `block … end`: a `brIf(0)` inside `body` jumps past its end. */
  block(body: () => void): this {
    this.op(0x02, 0x40);
    body();
    return this.op(0x0b);
  }

  /** `body` as many times as the i32 local `count` holds (0 or more), the i32 local `counter` counting down. */
  repeat(count: number, counter: number, body: () => void): this {
    this.localGet(count).localSet(counter);
    return this.block(() => {
      this.localGet(counter).i32Eqz().brIf(0);
      this.loop(() => {
        body();
        this.localGet(counter).i32Const(1).i32Sub().localTee(counter).brIf(0);
      });
    });
  }

  f32Load(offset = 0) { return this.op(0x2a, ...memarg(2, offset)); }
  f32Store(offset = 0) { return this.op(0x38, ...memarg(2, offset)); }
  f64Load(offset = 0) { return this.op(0x2b, ...memarg(3, offset)); }
  f64Store(offset = 0) { return this.op(0x39, ...memarg(3, offset)); }
  i32Store(offset = 0) { return this.op(0x36, ...memarg(2, offset)); }
  /** Rounds the f64 on the stack to the nearest f32. */
  f32DemoteF64() { return this.op(0xb6); }
  v128Load(offset = 0) { return this.simd(0x00, ...memarg(4, offset)); }
  v128Store(offset = 0) { return this.simd(0x0b, ...memarg(4, offset)); }
  /** One f32 from memory in all four lanes. */
  v128Load32Splat(offset = 0) { return this.simd(0x09, ...memarg(2, offset)); }
  /** One f64 from memory in both lanes. */
  v128Load64Splat(offset = 0) { return this.simd(0x0a, ...memarg(3, offset)); }
  /** The all-zero vector. */
  v128Zero() { return this.simd(0x0c, ...new Array<number>(16).fill(0)); }
  /** Lanes of two vectors picked by 16 byte indices (0-15 the first, 16-31 the second). */
  i8x16Shuffle(lanes: readonly number[]) { return this.simd(0x0d, ...lanes); }
  f32x4Splat() { return this.simd(0x13); }
  /** Both f64 lanes rounded to the nearest f32, in lanes 0 and 1; lanes 2 and 3 zero. */
  f32x4DemoteF64x2Zero() { return this.simd(0x5e); }
  f64x2Splat() { return this.simd(0x14); }
  f32x4Add() { return this.simd(0xe4); }
  f32x4Sub() { return this.simd(0xe5); }
  f32x4Mul() { return this.simd(0xe6); }
  f32x4Div() { return this.simd(0xe7); }
  f64x2Add() { return this.simd(0xf0); }
  f64x2Sub() { return this.simd(0xf1); }
  f64x2Mul() { return this.simd(0xf2); }
  f64x2Div() { return this.simd(0xf3); }
  f32Add() { return this.op(0x92); }
  f32Sub() { return this.op(0x93); }
  f32Mul() { return this.op(0x94); }
  f32Div() { return this.op(0x95); }
  f64Add() { return this.op(0xa0); }
  f64Sub() { return this.op(0xa1); }
  f64Mul() { return this.op(0xa2); }
  f64Div() { return this.op(0xa3); }

  /** The code-section entry: local declarations (one group per local), the instructions, `end`. */
  encode(): number[] {
    const locals = vector(this.localTypes.map((t) => [1, t]));
    const body = [...locals, ...this.bytes, 0x0b];
    return [...unsignedLeb(body.length), ...body];
  }
}

/** One function of a module: its signature, its code, and the name it is exported under (if any). */
export interface FunctionDef {
  readonly params: readonly ValueType[];
  readonly results: readonly ValueType[];
  readonly code: Code;
  readonly exportName?: string;
}

/**
 * The memory a module uses: its own, of `initialPages` 64 KiB pages with no maximum (the host grows it), or
 * one imported as `env.memory`, shared between threads, which the format requires to declare a maximum.
 * Either way it is exported as "memory" so the host can grow it and copy through it.
 */
export type MemoryDef = { readonly initialPages: number } | { readonly shared: { readonly initialPages: number; readonly maximumPages: number } };

/** A module whose functions are `functions` (indices in that order, for `call`), using `memory`. */
export function encodeModule(functions: readonly FunctionDef[], memory: MemoryDef): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vector(f.params.map((t) => [t])), ...vector(f.results.map((t) => [t]))]);
  const exported = functions.flatMap((f, i) => (f.exportName === undefined ? [] : [[...utf8Name(f.exportName), 0x00, ...unsignedLeb(i)]]));
  const memoryExport = [...utf8Name('memory'), 0x02, 0x00];
  // Limits: flag 0x00 = minimum only; 0x03 = minimum, maximum, shared.
  const memorySections = 'shared' in memory
    ? section(2, vector([[...utf8Name('env'), ...utf8Name('memory'), 0x02, 0x03, ...unsignedLeb(memory.shared.initialPages), ...unsignedLeb(memory.shared.maximumPages)]]))
    : [];
  const ownMemory = 'shared' in memory ? [] : section(5, vector([[0x00, ...unsignedLeb(memory.initialPages)]]));
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, // "\0asm"
    0x01, 0x00, 0x00, 0x00, // version 1
    ...section(1, vector(types)), // one type per function, for simplicity
    ...memorySections,
    ...section(3, vector(functions.map((_, i) => unsignedLeb(i)))),
    ...ownMemory,
    ...section(7, vector([...exported, memoryExport])),
    ...section(10, vector(functions.map((f) => f.code.encode()))),
  ]);
}

/** A name: its UTF-8 byte length, then the bytes. */
function utf8Name(s: string): number[] {
  const bytes = utf8(s);
  return [...unsignedLeb(bytes.length), ...bytes];
}
