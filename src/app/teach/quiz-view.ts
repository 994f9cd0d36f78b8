import type { View } from '../context.ts';
import { h } from '../dom.ts';
import { loadPreset } from './load.ts';
import { presetById } from './presets.ts';
import { QUIZ, type QuizQuestion } from './quiz.ts';
import './teach.css';

/** The Quiz view: multiple-choice questions, each with feedback and the preset that shows the answer. */
export const quizView: View = {
  name: 'quiz',
  label: 'Quiz',
  mount(panel, ctx) {
    const results = new Map<string, boolean>();
    const score = h('p', { class: 'quiz-score', attrs: { 'aria-live': 'polite' } });
    const updateScore = () => {
      const right = [...results.values()].filter(Boolean).length;
      score.textContent = `${results.size} of ${QUIZ.length} answered, ${right} correct.`;
    };

    const question = (q: QuizQuestion, index: number): HTMLElement => {
      const name = `quiz-${q.id}`;
      const radios = q.choices.map((c, i) => h('input', { attrs: { type: 'radio', name, value: i, id: `${name}-${i}` } }));
      const feedback = h('div', { class: 'quiz-feedback', attrs: { role: 'status' } });
      const preset = presetById(q.presetId)!;
      const check = h('button', {
        text: 'Check answer',
        attrs: { type: 'button' },
        on: {
          click: () => {
            const picked = radios.findIndex((r) => r.checked);
            if (picked < 0) {
              feedback.className = 'quiz-feedback';
              feedback.replaceChildren(h('p', { text: 'Pick an answer first.' }));
              return;
            }
            const choice = q.choices[picked];
            results.set(q.id, choice.correct);
            updateScore();
            feedback.className = `quiz-feedback ${choice.correct ? 'right' : 'wrong'}`;
            feedback.replaceChildren(
              h('p', {}, [h('strong', { text: choice.correct ? 'Correct. ' : 'Not quite. ' }), choice.why]),
              h('p', { text: q.reason }),
              h('button', { text: `Load the preset that shows it: ${preset.title}`, attrs: { type: 'button' }, on: { click: () => loadPreset(ctx, preset) } }),
            );
          },
        },
      });
      return h('fieldset', { class: 'quiz-question' }, [
        h('legend', { text: `${index + 1}. ${q.prompt}` }),
        ...q.choices.map((c, i) => h('div', { class: 'quiz-choice' }, [radios[i], h('label', { text: c.text, attrs: { for: `${name}-${i}` } })])),
        check,
        feedback,
      ]);
    };

    updateScore();
    panel.replaceChildren(
      h('h2', { text: 'Quiz: forward vs reverse mode' }),
      h('p', { class: 'explain', text: 'Each answer can be checked by running a preset: after you answer, load it and compare the modes in the Results view.' }),
      score,
      ...QUIZ.map(question),
    );
  },
};
