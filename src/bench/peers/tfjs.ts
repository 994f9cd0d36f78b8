// TensorFlow.js (`@tensorflow/tfjs` with its `webgpu` and `wasm` backends, and its plain-JavaScript `cpu`
// backend, which comes with the package). TF.js differentiates in
// reverse mode only (tf.grad); it has no JVP, so forward-mode tasks are "not supported". A batch of
// k cotangents goes through one tf.grad of the function applied to k copies of x (a [k, n] matrix),
// with the cotangents as the rows of dy: the backward pass is then a matrix product.
import type * as TfModule from '@tensorflow/tfjs';
import { unavailableSystem, type DeviceName, type Formulation, type PeerLoadOptions, type PeerSystem } from './system.ts';
import { f32, type HostInputs, type PeerTask } from './tasks.ts';

type Tf = typeof TfModule;
type T2 = TfModule.Tensor2D;
type TfDevice = Extract<DeviceName, 'cpu' | 'wasm' | 'webgpu'>;

const NO_FORWARD_MODE = 'not supported: TF.js has no forward mode (no JVP)';

type Input = (name: string) => TfModule.Tensor;

/** The task as one function of the uploaded tensors, returning the answer (run inside tf.tidy); or why not. */
function bodyOf(tf: Tf, t: PeerTask): { name: string; body: (input: Input) => TfModule.Tensor } | string {
  /** tanh(X Wᵀ + b) for the rows of X [k, n]. */
  const dense = (X: T2, W: T2, b: TfModule.Tensor) => tf.tanh(tf.add(tf.matMul(X, W, false, true), b)) as T2;
  const f = (input: Input, X: T2): T2 => (t.fn === 'layer'
    ? dense(X, input('W') as T2, input('b'))
    : dense(dense(X, input('W1') as T2, input('b1')), input('W2') as T2, input('b2')));
  const xRows = (input: Input, k: number) => {
    const x = tf.reshape(input('x'), [1, t.n]) as T2;
    return k === 1 ? x : tf.tile(x, [k, 1]);
  };
  /** Cotangents [k, m] pulled back through f at k copies of x: dy's rows are the cotangents. */
  const pullback = (input: Input, U: TfModule.Tensor, k: number) => tf.grad((X: TfModule.Tensor) => f(input, X as T2))(xRows(input, k), U);
  switch (t.task) {
    case 'jvp':
    case 'jacfwd':
      return NO_FORWARD_MODE;
    case 'primal':
      return { name: 'f(x)', body: (input) => tf.reshape(f(input, xRows(input, 1)), [t.m]) };
    case 'gemm':
      return { name: 'tf.matMul', body: (input) => tf.matMul(input('A') as T2, input('B') as T2) };
    case 'vjp':
      return {
        name: 'tf.grad of f on k copies of x, dy = U',
        body: (input) => tf.reshape(pullback(input, tf.reshape(input('U'), [t.k, t.m]), t.k), t.k === 1 ? [t.n] : [t.k, t.n]),
      };
    case 'jacrev':
      return { name: 'tf.grad of f on m copies of x, dy = I', body: (input) => pullback(input, tf.eye(t.m), t.m) };
    case 'hvp': {
      // Reverse over reverse: H v = ∇ₓ ⟨∇ₓ L(x), v⟩.
      const loss = (W: T2) => (x: TfModule.Tensor) => {
        const h = tf.tanh(tf.matMul(W, tf.reshape(x, [t.n, 1])));
        return tf.sum(tf.mul(h, h));
      };
      return {
        name: 'tf.grad(⟨tf.grad(f), v⟩) (reverse over reverse)',
        body: (input) => tf.grad((x: TfModule.Tensor) => tf.sum(tf.mul(tf.grad(loss(input('W') as T2))(x), input('v'))))(input('x')),
      };
    }
    default:
      return t.task satisfies never;
  }
}

function tfOn(tf: Tf, device: TfDevice, version: string): PeerSystem {
  return {
    system: 'tfjs',
    device,
    description: `TensorFlow.js ${version} on ${device}, f32`,
    formulations(t, inputs: HostInputs): Formulation[] | { unsupported: string } {
      const made = bodyOf(tf, t);
      if (typeof made === 'string') return { unsupported: made };
      return [{
        name: made.name,
        manual: false,
        async run() {
          if (tf.getBackend() !== device) await tf.setBackend(device);
          const uploaded = new Map(Object.keys(inputs).map((name) => [name, tf.tensor(f32(inputs, name), [...inputs[name].shape])]));
          const out = tf.tidy(() => made.body((name) => uploaded.get(name)!));
          try {
            return await out.data();
          } finally {
            tf.dispose([out, ...uploaded.values()]);
          }
        },
      }];
    },
  };
}

/** TF.js on each requested backend, or a stand-in per device that says why it is missing. */
export async function loadTfjs(devices: readonly TfDevice[], { version, wasmPaths }: PeerLoadOptions): Promise<PeerSystem[]> {
  let tf: Tf;
  try {
    tf = await import('@tensorflow/tfjs');
    if (devices.includes('wasm')) {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // In a browser the binaries are wherever the bundler put them; without this TF.js looks beside its script.
      if (wasmPaths !== undefined) wasm.setWasmPaths({ ...wasmPaths });
      // One thread, as in Node (where TF.js finds no thread support): in a cross-origin isolated page its
      // threaded binary starts pthread workers from a script that a bundled app does not serve.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    }
    if (devices.includes('webgpu')) await import('@tensorflow/tfjs-backend-webgpu');
  } catch (err) {
    const reason = `could not load TensorFlow.js: ${err instanceof Error ? err.message : String(err)}`;
    return devices.map((d) => unavailableSystem('tfjs', d, reason));
  }
  const systems: PeerSystem[] = [];
  for (const device of devices) {
    let problem: string | null = null;
    try {
      if (!(await tf.setBackend(device))) problem = `TensorFlow.js ${version} could not initialise its ${device} backend`;
    } catch (err) {
      problem = `TensorFlow.js ${version} ${device} backend failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    // Small ops on host-resident tensors would otherwise run on TF.js's CPU backend, not the adapter.
    if (device === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
    systems.push(problem === null ? tfOn(tf, device, version) : unavailableSystem('tfjs', device, problem));
  }
  return systems;
}
