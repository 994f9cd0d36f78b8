import { compile, parse, type CompileResult } from '../index.ts';
import type { EngineClient } from './engine/client.ts';
import type { Store } from './state.ts';

/** What every view gets: the state store, the engine worker, and the current program (compiled once per change). */
export interface AppContext {
  readonly store: Store;
  readonly engine: EngineClient;
  /** The program compiled with the current sizes (memoized on source and sizes). */
  program(): CompileResult;
  /** App-wide events: 'run' (Ctrl/Cmd+Enter or a Run button) asks the active computation to run. */
  readonly events: EventTarget;
}

export function createContext(store: Store, engine: EngineClient): AppContext {
  let key = '';
  let cached: CompileResult | undefined;
  return {
    store,
    engine,
    events: new EventTarget(),
    program() {
      const { source, sizes } = store.state;
      const k = `${source}\u0000${JSON.stringify(sizes)}`;
      if (cached === undefined || k !== key) {
        cached = compile(source, sizes);
        key = k;
      }
      return cached;
    },
  };
}

/** Size names the program's inputs use (`n`, `m`, ...), in order of first appearance. */
export function sizeNames(source: string): string[] {
  const names: string[] = [];
  for (const s of parse(source).program.statements) {
    if (s.kind !== 'input') continue;
    for (const d of s.dims) if (d.kind === 'size' && !names.includes(d.name)) names.push(d.name);
  }
  return names;
}

/** A view mounted into a tab panel. */
export interface View {
  readonly name: string;
  readonly label: string;
  mount(panel: HTMLElement, ctx: AppContext): void;
}
