// Pieces the Benchmark tab's two sections share: labelled selects, chart cards with a PNG button,
// downloads, and the check for WebGPU.
import { h } from '../dom.ts';
import { chartPng } from './bench-charts.ts';

/** Why WebGPU cannot be used in this browser, or null when it can. */
export async function webgpuUnavailable(): Promise<string | null> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (gpu === undefined) return 'this browser does not offer WebGPU (no navigator.gpu)';
  try {
    return (await gpu.requestAdapter()) === null ? 'no WebGPU adapter was found' : null;
  } catch (err) {
    return `WebGPU failed: ${(err as Error).message}`;
  }
}

/** A labelled select; `name` lets tests and forms find it. */
export function select(label: string, options: readonly (readonly [string, string])[], value: string, onChange: (v: string) => void, name?: string): HTMLLabelElement {
  const el = h('select', { attrs: { name }, on: { change: () => onChange(el.value) } });
  for (const [v, text] of options) el.append(h('option', { text, attrs: { value: v } }));
  el.value = value;
  return h('label', { class: 'field' }, [h('span', { text: label }), el]);
}

/** Downloads `href` as `name`. */
export function download(name: string, href: string): void {
  const a = h('a', { attrs: { href, download: name } });
  document.body.append(a);
  a.click();
  a.remove();
}

/** An "Export CSV" button, disabled until there is something to export; it downloads `csv()` as `fileName`. */
export function csvButton(fileName: string, csv: () => string): HTMLButtonElement {
  return h('button', {
    text: 'Export CSV', attrs: { type: 'button', disabled: true },
    on: {
      click: () => {
        const url = URL.createObjectURL(new Blob([csv()], { type: 'text/csv' }));
        download(fileName, url);
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      },
    },
  });
}

/** A chart card: heading, its own controls, a PNG button, the canvas, and a caption. */
export function chartCard(title: string, caption: string, fileName: string, chart: () => Parameters<typeof chartPng>[0] | null, tools: HTMLElement[] = []): { card: HTMLElement; canvas: HTMLCanvasElement; tools: HTMLElement } {
  const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': title } });
  const toolbar = h('div', { class: 'bench-card-tools' }, [
    ...tools,
    h('button', { text: 'PNG', attrs: { type: 'button', title: `Download "${title}" as PNG` }, on: { click: () => { const c = chart(); if (c) download(fileName, chartPng(c, title)); } } }),
  ]);
  const card = h('figure', { class: 'bench-card' }, [
    h('div', { class: 'bench-card-head' }, [h('h3', { text: title }), toolbar]),
    h('div', { class: 'bench-chart' }, [canvas]),
    h('figcaption', { class: 'hint', text: caption }),
  ]);
  return { card, canvas, tools: toolbar };
}
