import type { AppContext } from '../context.ts';
import type { AppState } from '../state.ts';
import type { Preset } from './presets.ts';

/**
 * Loads a preset in one store update (its source, sizes and suggested computation, and its suggested
 * view when that view has a tab on this page: the shell names tabs `tab-<view>`, and views are
 * registered by other modules, so a preset may name one this build does not have), then asks the
 * view to run it: every preset is sized to answer in well under a second.
 */
export function loadPreset(ctx: AppContext, preset: Preset): void {
  const { view, ...setup } = preset.setup;
  const patch: Partial<AppState> = { source: preset.source, sizes: { ...preset.sizes }, ...setup };
  ctx.store.update(document.getElementById(`tab-${view}`) !== null ? { ...patch, view } : patch);
  ctx.events.dispatchEvent(new Event('run'));
}
