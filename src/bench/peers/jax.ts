// jax-js (`@jax-js/jax`) on its `wasm` and `webgpu` devices. Every formulation is one jit-compiled
// function; its inputs are uploaded and its answer read back inside the timed region, as in ours.
//
// jax-js owns arrays by reference counting: a function consumes its arguments, and `.ref` keeps
// one for another use. The derivative formulations use the library's transforms (jvp, vjp, vmap,
// grad, jacfwd, jacrev). The "hand-written" ones write the same derivative out as batched matrix
// products, to show what jax-js reaches when a user fuses it by hand.
import type * as JaxModule from '@jax-js/jax';
import { unavailableSystem, type DeviceName, type Formulation, type PeerLoadOptions, type PeerSystem } from './system.ts';
import { f32, type FnName, type HostInputs, type PeerTask } from './tasks.ts';

type Jax = typeof JaxModule;
type Arr = JaxModule.Array;
type Params = Record<string, Arr>;
type JaxDevice = Extract<DeviceName, 'wasm' | 'webgpu'>;

/** The parameters of each function, in the order its program declares them (x aside). */
const PARAMS: Record<Exclude<FnName, 'gemm'>, readonly string[]> = {
  layer: ['W', 'b'],
  mlp: ['W1', 'b1', 'W2', 'b2'],
  loss: ['W'],
};

/** The functions and their hand-written derivatives, for one jax-js module. */
function mathOf(jax: Jax) {
  const np = jax.numpy;
  /** tanh(W x + b) for a vector x [n]. */
  const dense = (W: Arr, b: Arr, x: Arr) => np.tanh(np.matmul(W, x).add(b));
  const f = (fn: FnName, p: Params, x: Arr): Arr => {
    switch (fn) {
      case 'layer': return dense(p.W, p.b, x);
      case 'mlp': return dense(p.W2, p.b2, dense(p.W1, p.b1, x));
      case 'loss': {
        const t = np.tanh(np.matmul(p.W, x));
        return np.sum(t.ref.mul(t));
      }
      case 'gemm': throw new Error('gemm has no x');
      default: return fn satisfies never;
    }
  };
  /** y and its derivative factor 1 - y² for one layer. */
  const denseWithSlope = (W: Arr, b: Arr, x: Arr): [Arr, Arr] => {
    const y = dense(W, b, x);
    return [y.ref, np.subtract(1, y.ref.mul(y))];
  };
  /** Tangents T [k, n] (rows) pushed forward: dY = (T Wᵀ) ⊙ (1 - y²) per layer. */
  const manualJvp = (fn: FnName, p: Params, x: Arr, T: Arr): Arr => {
    if (fn === 'layer') {
      const [y, d] = denseWithSlope(p.W.ref, p.b, x);
      y.dispose();
      return np.matmul(T, p.W.transpose()).mul(d);
    }
    const [h, d1] = denseWithSlope(p.W1.ref, p.b1, x);
    const [y, d2] = denseWithSlope(p.W2.ref, p.b2, h);
    y.dispose();
    const dH = np.matmul(T, p.W1.transpose()).mul(d1);
    return np.matmul(dH, p.W2.transpose()).mul(d2);
  };
  /** Cotangents U [k, m] (rows) pulled back: G = (U ⊙ (1 - y²)) W per layer. */
  const manualVjp = (fn: FnName, p: Params, x: Arr, U: Arr): Arr => {
    if (fn === 'layer') {
      const [y, d] = denseWithSlope(p.W.ref, p.b, x);
      y.dispose();
      return np.matmul(U.mul(d), p.W);
    }
    const [h, d1] = denseWithSlope(p.W1.ref, p.b1, x);
    const [y, d2] = denseWithSlope(p.W2.ref, p.b2, h);
    y.dispose();
    const gH = np.matmul(U.mul(d2), p.W2).mul(d1);
    return np.matmul(gH, p.W1);
  };
  /**
   * The Jacobian in closed form, derived by hand rather than by pushing identity seeds:
   * diag(1 − y²) W per layer, so a layer needs no matrix product and the MLP one.
   */
  const manualJacobian = (fn: FnName, p: Params, x: Arr): Arr => {
    const column = (d: Arr) => d.reshape([d.shape[0], 1]);
    if (fn === 'layer') {
      const [y, d] = denseWithSlope(p.W.ref, p.b, x);
      y.dispose();
      return p.W.mul(column(d));
    }
    const [h, d1] = denseWithSlope(p.W1.ref, p.b1, x);
    const [y, d2] = denseWithSlope(p.W2.ref, p.b2, h);
    y.dispose();
    return np.matmul(p.W2.mul(column(d2)), p.W1.mul(column(d1)));
  };
  /** H v of sum(tanh(W x)²): Wᵀ (d ⊙ (W v)) with d = 2 (1 - t²)(1 - 3 t²), t = tanh(W x). */
  const manualHvp = (W: Arr, x: Arr, v: Arr): Arr => {
    const t = np.tanh(np.matmul(W.ref, x));
    const t2 = t.ref.mul(t);
    const d = np.subtract(1, t2.ref).mul(np.subtract(1, t2.mul(3))).mul(2);
    return np.matmul(W.ref.transpose(), np.matmul(W, v).mul(d));
  };
  return { f, manualJvp, manualVjp, manualJacobian, manualHvp };
}

/** The formulations of one task: [name, hand-written?, the function to jit]. */
type Candidate = readonly [string, boolean, (...args: never[]) => Arr];

function candidates(jax: Jax, t: PeerTask): Candidate[] {
  const { numpy: np, jvp, vjp, vmap, grad, jacfwd, jacrev } = jax;
  const { f, manualJvp, manualVjp, manualJacobian, manualHvp } = mathOf(jax);
  const closedForm: Candidate = ['jit(closed-form J, by hand)', true, (p: Params, x: Arr) => manualJacobian(t.fn, p, x)];
  const { fn } = t;
  const at = (p: Params) => (x: Arr) => f(fn, jax.tree.ref(p), x);
  const batched = t.k > 1;
  // Vectors as one-row matrices for the hand-written forms, which work on rows.
  const row = (v: Arr, size: number) => (batched ? v : v.reshape([1, size]));
  const unrow = (r: Arr, size: number) => (batched ? r : r.reshape([size]));
  switch (t.task) {
    case 'primal':
      return [['jit(f)', false, (p: Params, x: Arr) => f(fn, p, x)]];
    case 'gemm':
      return [['jit(np.matmul)', false, (A: Arr, B: Arr) => np.matmul(A, B)]];
    case 'jvp': {
      const one = (p: Params, x: Arr, tangent: Arr) => {
        const [y, dy] = jvp(at(p), [x], [tangent]);
        y.dispose();
        return dy;
      };
      return [
        batched
          ? ['jit(vmap(jvp))', false, (p: Params, x: Arr, T: Arr) => {
            const out = vmap((tangent: Arr) => one(p, x.ref, tangent), [0])(T);
            jax.tree.dispose([p, x]);
            return out;
          }]
          : ['jit(jvp)', false, (p: Params, x: Arr, T: Arr) => {
            const out = one(p, x, T);
            jax.tree.dispose(p);
            return out;
          }],
        ['jit(hand-written JVP)', true, (p: Params, x: Arr, T: Arr) => unrow(manualJvp(fn, p, x, row(T, t.n)), t.m)],
      ];
    }
    case 'vjp': {
      const one = (p: Params, x: Arr, cotangent: Arr) => {
        const [y, back] = vjp(at(p), [x]);
        y.dispose();
        const [g] = back(cotangent);
        back.dispose();
        return g;
      };
      return [
        batched
          ? ['jit(vmap(vjp))', false, (p: Params, x: Arr, U: Arr) => {
            const out = vmap((cotangent: Arr) => one(p, x.ref, cotangent), [0])(U);
            jax.tree.dispose([p, x]);
            return out;
          }]
          : ['jit(vjp)', false, (p: Params, x: Arr, U: Arr) => {
            const out = one(p, x, U);
            jax.tree.dispose(p);
            return out;
          }],
        ['jit(hand-written VJP)', true, (p: Params, x: Arr, U: Arr) => unrow(manualVjp(fn, p, x, row(U, t.m)), t.n)],
      ];
    }
    case 'jacfwd': {
      const library = (p: Params, x: Arr) => {
        const J = jacfwd(at(p))(x);
        jax.tree.dispose(p);
        return J;
      };
      return [
        ['jit(jacfwd(f))', false, library],
        // jacfwd stacks the columns J e_i as rows, so its result is Jᵀ: transpose it back.
        ['jit(jacfwd(f)ᵀ)', false, (p: Params, x: Arr) => library(p, x).transpose()],
        ['jit(hand-written JVP on I)', true, (p: Params, x: Arr) => manualJvp(fn, p, x, np.eye(t.n)).transpose()],
        closedForm,
      ];
    }
    case 'jacrev':
      return [
        ['jit(jacrev(f))', false, (p: Params, x: Arr) => {
          const J = jacrev(at(p))(x);
          jax.tree.dispose(p);
          return J;
        }],
        ['jit(hand-written VJP on I)', true, (p: Params, x: Arr) => manualVjp(fn, p, x, np.eye(t.m))],
        closedForm,
      ];
    case 'hvp':
      return [
        ['jit(jvp(grad(f)))', false, (p: Params, x: Arr, v: Arr) => {
          const [g, hv] = jvp(grad(at(p)), [x], [v]);
          g.dispose();
          jax.tree.dispose(p);
          return hv;
        }],
        ['jit(hand-written HVP)', true, (p: Params, x: Arr, v: Arr) => manualHvp(p.W, x, v)],
      ];
    default:
      return t.task satisfies never;
  }
}

/** The jit's arguments, uploaded to `device` from the host values: (params, x, direction) or (A, B). */
function argumentsOf(jax: Jax, t: PeerTask, inputs: HostInputs, device: JaxDevice): () => (Arr | Params)[] {
  const upload = (name: string) => jax.numpy.array(f32(inputs, name), { shape: [...inputs[name].shape], device });
  if (t.fn === 'gemm') return () => [upload('A'), upload('B')];
  const direction = { primal: [], jacfwd: [], jacrev: [], gemm: [], jvp: ['T'], vjp: ['U'], hvp: ['v'] }[t.task];
  return () => [Object.fromEntries(PARAMS[t.fn as Exclude<FnName, 'gemm'>].map((name) => [name, upload(name)])), upload('x'), ...direction.map(upload)];
}

function jaxOn(jax: Jax, device: JaxDevice, version: string): PeerSystem {
  return {
    system: 'jax-js',
    device,
    description: `jax-js ${version} on ${device}, f32`,
    formulations(t, inputs) {
      const args = argumentsOf(jax, t, inputs, device);
      return candidates(jax, t).map(([name, manual, body]): Formulation => {
        const compiled = jax.jit(body as (...a: (Arr | Params)[]) => Arr);
        return {
          name,
          manual,
          async run() {
            jax.defaultDevice(device); // constants made while tracing (np.eye, scalars) live here
            return compiled(...args()).data();
          },
          dispose: () => compiled.dispose(),
        };
      });
    },
  };
}

/** jax-js on each requested device, or a stand-in per device that says why it is missing. */
export async function loadJax(devices: readonly JaxDevice[], { version }: PeerLoadOptions): Promise<PeerSystem[]> {
  let jax: Jax;
  let available: string[];
  try {
    jax = await import('@jax-js/jax');
    available = await jax.init(...devices);
  } catch (err) {
    const reason = `could not load @jax-js/jax: ${err instanceof Error ? err.message : String(err)}`;
    return devices.map((d) => unavailableSystem('jax-js', d, reason));
  }
  return devices.map((d) => (available.includes(d) ? jaxOn(jax, d, version) : unavailableSystem('jax-js', d, `jax-js ${version} found no ${d} device (init returned ${available.join(', ') || 'nothing'})`)));
}
