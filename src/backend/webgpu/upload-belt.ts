/**
 * Staging buffers for large inputs, kept mapped between runs. A run converts such an input straight into a
 * mapped buffer and copies it to its storage buffer on the device, instead of converting it into a host
 * array and handing that to queue.writeBuffer, which copies it once more into staging memory of its own.
 * Measured in Node with Dawn on SwiftShader, a 4096 × 4096 weight: writeBuffer took 11 ms in a fresh
 * process and 43-50 ms after a run that had uploaded 128 MiB at once (a dense 4096-wide Jacobian), every
 * run after it. After a run, each staging buffer it used is mapped again in the background; a run that
 * finds none of its size ready makes one (mapped at creation), up to the limits below.
 */
import type { FloatArray } from '../cpu/tensor.ts';
import { roundInto } from '../cpu/wasm/round-to-f32.ts';

/** Inputs of at least this many bytes go through the belt; smaller ones are cheap to write. */
export const BELT_MIN_BYTES = 2 ** 20;
/** Staging buffers per size (runs in flight at once) and bytes in all. */
const PER_SIZE = 2;
const TOTAL_BYTES = 256 * 2 ** 20;

export class UploadBelt {
  /** Mapped buffers ready to be written, by size. */
  private readonly ready = new Map<number, GPUBuffer[]>();
  /** Every staging buffer the belt owns (ready, in use, or being mapped again), by size. */
  private readonly owned = new Map<number, Set<GPUBuffer>>();
  private ownedBytes = 0;

  constructor(private readonly device: GPUDevice) {}

  /**
   * A mapped staging buffer holding `data` as f32, unmapped and ready to copy from; null when the limits
   * leave no room (the caller writes the input as before).
   */
  stage(data: FloatArray): GPUBuffer | null {
    const bytes = 4 * data.length;
    const staging = this.ready.get(bytes)?.pop() ?? this.make(bytes);
    if (staging === null) return null;
    const mapped = new Float32Array(staging.getMappedRange(0, bytes));
    // f64 values are rounded by WebAssembly SIMD where it runs (round-to-f32.ts): 4096² in 30 ms, not 51.
    if (!(data instanceof Float64Array && roundInto(mapped, data))) mapped.set(data);
    staging.unmap();
    return staging;
  }

  /** Maps `staging` again for a later run, once the work that copies from it is submitted. */
  recycle(staging: GPUBuffer): void {
    staging.mapAsync(GPUMapMode.WRITE).then(
      () => {
        const list = this.ready.get(staging.size) ?? [];
        list.push(staging);
        this.ready.set(staging.size, list);
      },
      () => this.forget(staging), // the device was lost or the buffer destroyed
    );
  }

  /** Destroys every staging buffer. */
  dispose(): void {
    for (const set of this.owned.values()) for (const b of set) b.destroy();
    this.owned.clear();
    this.ready.clear();
    this.ownedBytes = 0;
  }

  private make(bytes: number): GPUBuffer | null {
    const mine = this.owned.get(bytes) ?? new Set<GPUBuffer>();
    if (mine.size >= PER_SIZE || this.ownedBytes + bytes > TOTAL_BYTES) return null;
    const staging = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_WRITE | GPUBufferUsage.COPY_SRC, mappedAtCreation: true, label: 'upload' });
    mine.add(staging);
    this.owned.set(bytes, mine);
    this.ownedBytes += bytes;
    return staging;
  }

  private forget(staging: GPUBuffer): void {
    if (this.owned.get(staging.size)?.delete(staging)) this.ownedBytes -= staging.size;
    staging.destroy();
  }
}
