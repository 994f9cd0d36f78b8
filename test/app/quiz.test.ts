// The quiz agrees with the presets: every question points at a preset that makes the claim its
// correct answer rests on (presets.test.ts checks those claims against the engine).
import { describe, expect, it } from 'vitest';
import { presetById } from '../../src/app/teach/presets.ts';
import { QUIZ } from '../../src/app/teach/quiz.ts';

describe('quiz data', () => {
  it('has 4 to 6 questions with unique ids', () => {
    expect(QUIZ.length).toBeGreaterThanOrEqual(4);
    expect(QUIZ.length).toBeLessThanOrEqual(6);
    expect(new Set(QUIZ.map((q) => q.id)).size).toBe(QUIZ.length);
  });

  for (const q of QUIZ) {
    it(`${q.id}: one correct choice, feedback for each, a preset that backs the answer`, () => {
      expect(q.choices.filter((c) => c.correct)).toHaveLength(1);
      expect(q.choices.length).toBeGreaterThanOrEqual(3);
      expect(new Set(q.choices.map((c) => c.text)).size).toBe(q.choices.length);
      for (const c of q.choices) expect(c.why.length).toBeGreaterThan(10);
      expect(q.reason.length).toBeGreaterThan(10);
      const preset = presetById(q.presetId);
      expect(preset, `preset ${q.presetId}`).toBeDefined();
      expect(preset!.claims).toContainEqual(q.backedBy);
    });
  }
});
