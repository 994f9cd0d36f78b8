import type { View } from '../context.ts';
import { resultsView } from './results.ts';
import { wgslView } from './wgsl.ts';

/** Every tab, in display order. */
export const VIEWS: readonly View[] = [resultsView, wgslView];
