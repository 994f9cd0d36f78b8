// End-to-end support: build the app with Vite into a temporary directory, serve it with Vite's
// preview server, drive Debian's Chromium with playwright-core, and watch every page for errors.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';

const ROOT = resolve(import.meta.dirname, '../..');

/** Where flows save their screenshots (gitignored). */
export const SCREENSHOTS = join(ROOT, 'test-results/e2e');

/** The built app being served, and how to stop serving it. */
export interface ServedApp {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Builds the app as `npm run build` would, but into a temporary directory (the shared `dist/` is
 * never touched), and serves it on a free port of 127.0.0.1: a secure context, as WebGPU needs.
 */
export async function serveBuiltApp(): Promise<ServedApp> {
  const outDir = await mkdtemp(join(tmpdir(), 'gradient-lab-e2e-'));
  // Vitest sets NODE_ENV=test; the app under test is the production build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ root: ROOT, mode: 'production', logLevel: 'error', build: { outDir, emptyOutDir: true } });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  let server: PreviewServer;
  try {
    server = await preview({ root: ROOT, logLevel: 'error', build: { outDir }, preview: { host: '127.0.0.1', port: 0, open: false } });
  } catch (err) {
    await rm(outDir, { recursive: true, force: true });
    throw err;
  }
  const url = server.resolvedUrls?.local[0];
  if (url === undefined) throw new Error('the preview server reported no local URL');
  return {
    url,
    async close() {
      await server.close();
      await rm(outDir, { recursive: true, force: true });
    },
  };
}

/** Chromium flags for a headless run on a CI machine; WebGPU comes from SwiftShader when enabled. */
const QUIET_ARGS = ['--no-sandbox', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/** Debian's Chromium (Playwright's own browser download is impossible here), with or without WebGPU. */
export function launchChromium(options: { webgpu: boolean }): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: options.webgpu ? ['--enable-unsafe-webgpu', ...QUIET_ARGS] : QUIET_ARGS,
  });
}

/** A page of the app, and every uncaught exception, console error, failed request or dialog it has produced so far. */
export interface AppPage {
  readonly page: Page;
  readonly problems: string[];
}

/** Opens the app (at `hash`, if given) in a fresh context, once the Monaco editor has replaced the text area. */
export async function openApp(browser: Browser, url: string, hash = ''): Promise<AppPage> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  // Well inside the test's own timeout, so a missing element fails with Playwright's own message.
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console.error: ${msg.text()} (${msg.location().url})`);
  });
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
  // The app never opens a dialog: one would mean injected script ran (from a hostile share link, say).
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.type()} "${dialog.message()}"`);
    void dialog.dismiss();
  });
  await page.goto(url + hash);
  await page.locator('.editor-pane .monaco-editor').waitFor();
  return { page, problems };
}

/** Saves a full-page screenshot as test-results/e2e/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * Replaces the program by typing it into Monaco as a person would: focus, select all, type. Each line
 * is followed by Escape (closing any suggestion list, so Enter cannot accept a completion) and Enter.
 * Monaco closes brackets as they open and types over the closer, so the text comes out as given
 * (for unindented lines: nothing here opens an indented block).
 */
export async function typeProgram(page: Page, source: string): Promise<void> {
  await page.locator('.editor-pane .monaco-editor .view-lines').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  const lines = source.replace(/\n$/, '').split('\n');
  for (const [i, line] of lines.entries()) {
    await page.keyboard.type(line);
    await page.keyboard.press('Escape');
    if (i < lines.length - 1) await page.keyboard.press('Enter');
  }
}

/** The editor's text as Monaco renders it: its line elements in order of position (short programs are fully shown). */
export function editorText(page: Page): Promise<string> {
  return page.locator('.editor-pane .monaco-editor .view-lines').evaluate((lines) => [...lines.querySelectorAll<HTMLElement>('.view-line')]
    .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
    .map((line) => (line.textContent ?? '').replace(/\u00a0/g, ' '))
    .join('\n'));
}

/** The number of distinct colours on a canvas: a blank or cleared canvas has one. */
export function canvasColours(page: Page, selector: string): Promise<number> {
  return page.locator(selector).evaluate((canvas: HTMLCanvasElement) => {
    const { width, height } = canvas;
    const data = canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
    const colours = new Set<number>();
    for (let i = 0; i < data.length; i += 4) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    return colours.size;
  });
}
