// Gradient Lab itself, through its public API (host arrays in and out), and the f64 reference
// answer every system is checked against.
import { cpuBackend, type Backend } from '../../api/backend.ts';
import { jacobian } from '../../api/jacobian.ts';
import type { DType, Tensor } from '../../backend/cpu/tensor.ts';
import type { DeviceName, PeerSystem } from './system.ts';
import { programOf, type HostInputs, type PeerTask } from './tasks.ts';

/** The function's own inputs, without the task's directions (T, U, v). */
function functionInputs(inputs: HostInputs): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(inputs).filter(([name]) => !['T', 'U', 'v'].includes(name)));
}

/** The task's answer (see tasks.ts) computed by Gradient Lab on `backend` in `dtype`. */
export async function runOurs(t: PeerTask, inputs: HostInputs, backend: Backend, dtype: DType, foldSeeds = false): Promise<Float64Array | Float32Array> {
  const program = programOf(t);
  const values = functionInputs(inputs);
  const options = { backend, dtype };
  switch (t.task) {
    case 'primal':
    case 'gemm': {
      const { outputs } = await program.evaluate(values, options);
      return outputs[program.outputs[0].name].data;
    }
    case 'jvp': return (await program.jvp(values, { x: inputs.T }, options)).tangents.y.data;
    case 'vjp': return (await program.vjp(values, { y: inputs.U }, { ...options, wrt: ['x'] })).cotangents.x.data;
    case 'jacfwd':
    case 'jacrev': {
      const mode = t.task === 'jacfwd' ? 'fwd' : 'rev';
      return (await jacobian(program, values, { ...options, mode, wrt: ['x'], foldSeeds })).jacobian.y.x.data;
    }
    // Only x's part and no gradient, like a peer's jit(jvp(grad(f))) of f as a function of x (W fixed)
    // that returns H v alone.
    case 'hvp': return (await program.hvp(values, { x: inputs.v }, { ...options, wrt: ['x'], gradient: false })).hvp.x.data;
    default: return t.task satisfies never;
  }
}

/** The answer every system is checked against: Gradient Lab's CPU interpreter in f64. */
export function referenceAnswer(t: PeerTask, inputs: HostInputs): Promise<Float64Array | Float32Array> {
  return runOurs(t, inputs, cpuBackend, 'f64');
}

const FORMULATION: Record<PeerTask['task'], string> = {
  primal: 'evaluate',
  jvp: 'jvp, tangents batched [k, n]',
  vjp: 'vjp, cotangents batched [k, m]',
  jacfwd: "jacobian mode 'fwd'",
  jacrev: "jacobian mode 'rev'",
  hvp: 'hvp (forward over reverse)',
  gemm: 'evaluate A @ B',
};

/** Gradient Lab on one backend (the CPU interpreter unless given), in f32 like every peer. */
export function oursOn(device: Extract<DeviceName, 'cpu' | 'webgpu'>, backend: Backend = cpuBackend): PeerSystem {
  return {
    system: 'gradient-lab',
    device,
    description: `Gradient Lab, ${backend.description}, f32`,
    formulations: (t, inputs) => [
      { name: FORMULATION[t.task], manual: false, run: () => runOurs(t, inputs, backend, 'f32') },
      // Identity seeds kept symbolic: the first product they meet becomes a scaled copy of the matrix.
      ...(t.task === 'jacfwd' || t.task === 'jacrev'
        ? [{ name: `${FORMULATION[t.task]}, folded seeds`, manual: false, run: () => runOurs(t, inputs, backend, 'f32', true) }]
        : []),
    ],
  };
}
