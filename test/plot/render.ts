/**
 * Test helper: draws a plotly figure as the notebook does (plotly.js from node_modules in
 * headless Chromium), to measure where its parts land and to take screenshots.
 */
import * as assert from 'assert';
import type { Browser, Page } from 'playwright-core';
import { chromiumPath, exportUnavailable } from '../../src/plot/export';
import { plotlyScriptPath, type Figure } from '../../src/plot/figure';

/** A box in CSS pixels. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** True when two boxes overlap by more than `slack` pixels in both directions. */
export function overlaps(a: Box, b: Box, slack = 0.5): boolean {
  return a.x + a.width - slack > b.x && b.x + b.width - slack > a.x && a.y + a.height - slack > b.y && b.y + b.height - slack > a.y;
}

/** A browser page with plotly.js loaded; `null` with the reason when Chromium is not available. */
export class PlotPage {
  private constructor(private readonly browser: Browser, readonly page: Page) {}

  static async open(): Promise<PlotPage | string> {
    const why = exportUnavailable();
    if (why) return why;
    const { chromium } = require('playwright-core') as typeof import('playwright-core');
    const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
    const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    await context.route(/^(https?|wss?|ftp):/, (route) => route.abort());
    const page = await context.newPage();
    await page.setContent('<!doctype html><html><body style="margin:0;background:white"><div id="fig"></div></body></html>');
    await page.addScriptTag({ path: plotlyScriptPath() });
    return new PlotPage(browser, page);
  }

  /** Draws the figure (replacing the previous one) at its layout size, or `width` × `height`. */
  async draw(fig: Figure, size?: { width: number; height: number }): Promise<void> {
    const layout = { ...(fig.layout ?? {}), ...(size ? { width: size.width, height: size.height } : {}) };
    await this.page.evaluate(
      async ({ data, layout }) => {
        const P = (window as unknown as { Plotly: { newPlot: Function; purge: Function } }).Plotly;
        const el = document.getElementById('fig')!;
        P.purge(el);
        await P.newPlot(el, data, layout, { displayModeBar: false });
      },
      JSON.parse(JSON.stringify({ data: fig.data, layout })),
    );
  }

  /** Bounding boxes of every element matching the selector (in the drawn figure). */
  async boxes(selector: string): Promise<(Box & { text: string })[]> {
    return this.page.evaluate((sel) => {
      return Array.from(document.querySelectorAll(`#fig ${sel}`)).map((e) => {
        const r = e.getBoundingClientRect();
        return { x: r.x, y: r.y, width: r.width, height: r.height, text: e.textContent ?? '' };
      });
    }, selector);
  }

  /** Saves a screenshot of the figure. */
  async screenshot(file: string): Promise<void> {
    await this.page.locator('#fig').screenshot({ path: file });
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}

/** PNG width and height from the IHDR chunk (bytes 16–23), after checking the signature. */
export function pngSize(buf: Buffer): { width: number; height: number } {
  assert.deepStrictEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.strictEqual(buf.subarray(12, 16).toString('latin1'), 'IHDR', 'first chunk is IHDR');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}
