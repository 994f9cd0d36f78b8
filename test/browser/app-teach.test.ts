// Presets and the Quiz in a real page: picking a preset loads it into the store (and the editor),
// the explanation offers the sum() fix, and the quiz is usable from the keyboard.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import { createContext, type AppContext } from '../../src/app/context.ts';
import { mountEditor } from '../../src/app/editor/mount.ts';
import type { EngineClient } from '../../src/app/engine/client.ts';
import { DEFAULT_STATE, Store } from '../../src/app/state.ts';
import { mountPresets } from '../../src/app/teach/picker.ts';
import { presetById } from '../../src/app/teach/presets.ts';
import { quizView } from '../../src/app/teach/quiz-view.ts';
import { QUIZ } from '../../src/app/teach/quiz.ts';

const stubEngine = { run: () => { throw new Error('no engine in teaching tests'); } } as unknown as EngineClient;

let root: HTMLElement;
let ctx: AppContext;

beforeEach(() => {
  root = document.createElement('div');
  document.body.append(root);
  ctx = createContext(new Store(DEFAULT_STATE), stubEngine);
});

afterEach(() => root.remove());

function mountPicker() {
  const header = document.createElement('div');
  const pane = document.createElement('section');
  root.append(header, pane);
  mountPresets(header, ctx, pane);
  return { select: header.querySelector('select')!, notes: root.querySelector<HTMLElement>('.preset-notes')!, pane };
}

describe('presets', () => {
  it('load into the store and the editor, with their explanation next to the editor', async () => {
    const { select, notes, pane } = mountPicker();
    const code = await mountEditor(pane, ctx).ready;
    expect(notes.hidden).toBe(true);
    let runs = 0;
    ctx.events.addEventListener('run', () => runs++);
    await userEvent.selectOptions(select, 'many-outputs');
    expect(runs).toBe(1);
    const preset = presetById('many-outputs')!;
    expect(ctx.store.state).toMatchObject({ source: preset.source, sizes: preset.sizes, mode: 'jacobian', jacobianMode: 'auto' });
    expect(code.model.getValue()).toBe(preset.source);
    expect(notes.hidden).toBe(false);
    expect(notes.nextElementSibling).toBe(pane);
    expect(notes.textContent).toContain(preset.title);
    expect(notes.textContent).toContain(preset.explanation[1]);

    code.editor.setPosition({ lineNumber: 1, column: 1 });
    code.editor.trigger('keyboard', 'type', { text: '# mine\n' });
    code.flush();
    expect(notes.querySelector('h2')!.textContent).toBe(`${preset.title} (edited)`);
    code.dispose();
  });

  it('show the fix for a vector loss and apply it in one click', async () => {
    const { select, notes } = mountPicker();
    await userEvent.selectOptions(select, 'per-example');
    expect(ctx.store.state.mode).toBe('grad');
    expect(notes.querySelector('button')!.textContent).toBe('Wrap losses in sum()');
    expect(notes.querySelector('code')!.textContent).toBe('output losses = sum(square(X @ w - t))');
    // The preset's fix stays on offer in other modes while the output is still a vector.
    ctx.store.update({ mode: 'jacobian' });
    expect(notes.querySelector('button')!.textContent).toBe('Wrap losses in sum()');
    await userEvent.click(notes.querySelector('button')!);
    expect(ctx.store.state.source).toContain('output losses = sum(square(X @ w - t))');
    const compiled = ctx.program();
    expect(compiled.ok && compiled.program.outputs[0].shape).toEqual([]);
    expect(notes.querySelector('button')).toBeNull();
    expect(notes.textContent).toContain("Now 'losses' has a seed");
    expect(notes.querySelector('h2')!.textContent).toBe(presetById('per-example')!.title);
  });

  it('offer the same fix for any program whose gradient lacks a seed', () => {
    const { notes } = mountPicker();
    ctx.store.update({ source: 'input x[n]\noutput y = x * x\n', sizes: { n: 3 }, mode: 'grad', output: '' });
    expect(notes.hidden).toBe(false);
    expect(notes.textContent).toContain("'y' has shape [3]");
    notes.querySelector('button')!.click();
    expect(ctx.store.state.source).toBe('input x[n]\noutput y = sum(x * x)\n');
    expect(notes.hidden).toBe(true);
  });

  it('recognise a preset loaded from a share link', () => {
    const preset = presetById('hvp')!;
    ctx.store.update({ source: preset.source, sizes: preset.sizes });
    const { select, notes } = mountPicker();
    expect(select.value).toBe('hvp');
    expect(notes.textContent).toContain(preset.explanation[0]);
  });
});

describe('the Quiz view', () => {
  it('has labelled choices, answers from the keyboard, explains, and loads the preset', async () => {
    quizView.mount(root, ctx);
    expect(quizView.label).toBe('Quiz');
    const fieldsets = root.querySelectorAll('fieldset');
    expect(fieldsets).toHaveLength(QUIZ.length);
    for (const radio of root.querySelectorAll<HTMLInputElement>('input[type=radio]')) {
      expect(root.querySelector(`label[for="${radio.id}"]`)!.textContent!.length).toBeGreaterThan(5);
    }

    // Keyboard only: focus the first choice of question 1, move to the correct one, check.
    const q = QUIZ[0];
    const correct = q.choices.findIndex((c) => c.correct);
    const first = fieldsets[0].querySelector<HTMLInputElement>('input[type=radio]')!;
    first.focus();
    await userEvent.keyboard(' ');
    for (let i = 0; i < correct; i++) await userEvent.keyboard('{ArrowDown}');
    expect(fieldsets[0].querySelectorAll<HTMLInputElement>('input[type=radio]')[correct].checked).toBe(true);
    await userEvent.tab();
    expect(document.activeElement!.textContent).toBe('Check answer');
    await userEvent.keyboard('{Enter}');
    const feedback = fieldsets[0].querySelector('.quiz-feedback')!;
    expect(feedback.textContent).toContain('Correct.');
    expect(feedback.textContent).toContain(q.reason);
    expect(root.querySelector('.quiz-score')!.textContent).toBe(`1 of ${QUIZ.length} answered, 1 correct.`);

    // A wrong answer says why.
    const wrong = q.choices.findIndex((c) => !c.correct);
    fieldsets[0].querySelectorAll<HTMLInputElement>('input[type=radio]')[wrong].click();
    fieldsets[0].querySelector<HTMLButtonElement>('fieldset > button')!.click();
    expect(feedback.textContent).toContain('Not quite.');
    expect(feedback.textContent).toContain(q.choices[wrong].why);

    const load = [...feedback.querySelectorAll('button')].find((b) => b.textContent!.startsWith('Load the preset'))!;
    await userEvent.click(load);
    const preset = presetById(q.presetId)!;
    expect(ctx.store.state).toMatchObject({ source: preset.source, sizes: preset.sizes, mode: preset.setup.mode });
  });
});
