import type { View } from '../context.ts';
import { quizView } from '../teach/quiz-view.ts';
import { benchView } from './bench.ts';
import { explainView } from './explain.ts';
import { graphView } from './graph.ts';
import { jacobianView } from './jacobian.ts';
import { resultsView } from './results.ts';
import { wgslView } from './wgsl.ts';

/** Every tab, in display order. */
export const VIEWS: readonly View[] = [resultsView, graphView, jacobianView, wgslView, explainView, benchView, quizView];
