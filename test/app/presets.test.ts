// Every teaching preset compiles, runs its suggested computation, and makes only claims that the
// engine's FLOP model (the same one `jacobian`'s 'auto' uses) and its results bear out.
import { describe, expect, it } from 'vitest';
import { compile, GradientLabError, jacobian, randomValues, type Program } from '../../src/index.ts';
import { PRESETS, type Claim, type Preset } from '../../src/app/teach/presets.ts';
import { wrapOutputInSum } from '../../src/app/teach/seed.ts';
import { expectAllclose } from '../support/allclose.ts';

function compiled(preset: Preset): Program {
  const result = compile(preset.source, preset.sizes);
  if (!result.ok) expect.fail(`${preset.id}: ${result.errors.map((d) => `${d.line}:${d.column} ${d.message}`).join('; ')}`);
  return result.program;
}

/** The kind of a rejection (GradientLabError carries it on its first diagnostic). */
async function rejectionKind(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(GradientLabError);
    return (err as GradientLabError).diagnostics[0].kind;
  }
  return 'resolved';
}

async function checkClaim(preset: Preset, program: Program, claim: Claim): Promise<void> {
  const inputs = randomValues(program.inputs, 0);
  const primal = program.flops();
  switch (claim.kind) {
    case 'winner': {
      const result = await jacobian(program, inputs, { mode: 'auto' });
      expect(result.mode, result.estimates.reason).toBe(claim.mode);
      expect(result.estimates[claim.mode]).toBeLessThan(result.estimates[claim.mode === 'fwd' ? 'rev' : 'fwd']);
      return;
    }
    case 'one-pass': {
      expect(program.flops(program.derived('jvp', [1]))).toBeLessThanOrEqual(claim.ratio * primal);
      expect(program.flops(program.derived('vjp', [1]))).toBeLessThanOrEqual(claim.ratio * primal);
      // The full Jacobian is refused before anything is allocated: it does not fit the default budget.
      expect(await rejectionKind(jacobian(program, inputs))).toBe('too-large');
      return;
    }
    case 'hvp-cost': {
      const loss = program.outputs.find((p) => p.shape.length === 0)!.name;
      expect(program.flops(program.derived('hvp', [1], { of: [loss] }))).toBeLessThanOrEqual(claim.ratio * primal);
      const r = await program.hvp(inputs, randomValues(program.inputs, 1), { output: loss });
      expect(Object.keys(r.hvp)).toEqual(program.inputs.map((p) => p.name));
      return;
    }
    case 'rows-columns': {
      expect([program.outputWidth, program.inputWidth]).toEqual([claim.rows, claim.columns]);
      const fwd = await jacobian(program, inputs, { mode: 'fwd' });
      const rev = await jacobian(program, inputs, { mode: 'rev' });
      expect([fwd.seeds, rev.seeds]).toEqual([claim.columns, claim.rows]);
      for (const [out, row] of Object.entries(fwd.jacobian)) {
        for (const [inp, block] of Object.entries(row)) expectAllclose(rev.jacobian[out][inp].data, block.data, { rtol: 1e-12, atol: 1e-12 }, `∂${out}/∂${inp}`);
      }
      return;
    }
    case 'needs-seed': {
      expect(program.outputs.find((p) => p.name === claim.output)!.shape.length).toBeGreaterThan(0);
      expect(await rejectionKind(program.grad(inputs, { output: claim.output }))).toBe('not-scalar');
      const wrapped = wrapOutputInSum(preset.source, claim.output)!;
      const fixed = compiled({ ...preset, source: wrapped.source });
      expect(fixed.outputs.find((p) => p.name === wrapped.output)!.shape).toEqual([]);
      const before = (await program.evaluate(inputs)).outputs[claim.output].data;
      const after = await fixed.grad(inputs, { output: wrapped.output });
      expect(after.value).toBeCloseTo(Array.from(before).reduce((a, b) => a + b, 0), 10);
      return;
    }
  }
}

describe('teaching presets', () => {
  it('have unique ids and two-line explanations', () => {
    expect(new Set(PRESETS.map((p) => p.id)).size).toBe(PRESETS.length);
    for (const p of PRESETS) expect(p.explanation.every((line) => line.length > 20 && !line.includes('\n'))).toBe(true);
  });

  for (const preset of PRESETS) {
    describe(preset.id, () => {
      it('compiles with its sizes, without warnings', () => {
        expect(compiled(preset).warnings).toEqual([]);
      });
      for (const claim of preset.claims) {
        it(`claim: ${JSON.stringify(claim)}`, async () => {
          await checkClaim(preset, compiled(preset), claim);
        });
      }
      if (preset.fix) {
        it('offers a fix that names a real vector output', () => {
          const program = compiled(preset);
          expect(program.outputs.find((p) => p.name === preset.fix!.output)?.shape.length).toBeGreaterThan(0);
          expect(preset.setup.mode === 'grad' || preset.setup.mode === 'hvp').toBe(true);
        });
      }
    });
  }

  it('say what the wide layer costs in numbers that match the program', () => {
    const preset = PRESETS.find((p) => p.id === 'wide-layer')!;
    const program = compiled(preset);
    // SI style: digits in groups of three, but four-digit numbers stay whole.
    const spaced = (n: number) => (n < 10_000 ? String(n) : n.toLocaleString('en').replaceAll(',', ' '));
    expect(preset.explanation[0]).toContain(`${spaced(program.outputWidth)} outputs`);
    expect(preset.explanation[0]).toContain(`${spaced(program.inputWidth)} input elements`);
    const entries = program.outputWidth * program.inputWidth;
    expect(preset.explanation[0]).toContain(`${Math.round(entries / 1e6)} million numbers (${(entries * 8 / 1e9).toFixed(1)} GB)`);
  });
});
