import { createContext } from './context.ts';
import { EngineClient } from './engine/client.ts';
import { mountEditor } from './editor/mount.ts';
import { decodeState, encodeState } from './share.ts';
import { mountShell } from './shell.ts';
import { mountSizeControls } from './sizes.ts';
import { DEFAULT_STATE, Store } from './state.ts';
import { mountPresets } from './teach/picker.ts';
import { VIEWS } from './views/index.ts';
import './styles.css';

const prefersDark = window.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false;
const store = new Store(decodeState(location.hash, { ...DEFAULT_STATE, theme: prefersDark ? 'dark' : 'light' }));
const ctx = createContext(store, new EngineClient());
const shell = mountShell(document.getElementById('app')!, ctx, VIEWS);
mountEditor(shell.editorPane, ctx);
mountPresets(shell.headerTools, ctx, shell.editorPane);
mountSizeControls(shell.sidebar, ctx);

// The URL always describes what is on screen, so copying it shares the exact setup.
let pending = 0;
store.subscribe(() => {
  clearTimeout(pending);
  pending = window.setTimeout(() => history.replaceState(null, '', encodeState(store.state)), 300);
});
window.addEventListener('hashchange', () => store.update(decodeState(location.hash, store.state)));
document.addEventListener('keydown', (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
    e.preventDefault();
    ctx.events.dispatchEvent(new Event('run'));
  }
});
