/**
 * Headless Chromium for the tests that look at pages: Debian's `chromium` (/usr/bin/chromium, or
 * TFSWEEP_TEST_CHROMIUM) driven by playwright-core. .ci/run installs it when missing; elsewhere the tests
 * that need it are skipped and say why.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.TFSWEEP_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_SKIP: string | false = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}: install Debian's chromium package (.ci/run does) or set TFSWEEP_TEST_CHROMIUM`;

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

/** A page that records console errors, page errors, dialogs (alert) and every request that left the machine. */
export async function watchedPage(browser: Browser, width = 1280): Promise<{ page: Page; errors: string[]; dialogs: string[]; external: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const errors: string[] = [];
  const dialogs: string[] = [];
  const external: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith('file:') && !url.startsWith('http://127.0.0.1') && !url.startsWith('data:')) external.push(url);
  });
  return { page, errors, dialogs, external };
}

/** For each `.chart` element: whether its canvas has drawn pixels (not all one colour). */
export async function chartsDrawn(page: Page): Promise<Record<string, boolean>> {
  return page.evaluate(() => {
    const out: Record<string, boolean> = {};
    for (const box of Array.from(document.querySelectorAll<HTMLElement>('.chart'))) {
      const canvas = box.querySelector('canvas');
      if (!canvas || canvas.width === 0 || canvas.height === 0) {
        out[box.id] = false;
        continue;
      }
      // Drawn: a few hundred pixels differ from the background (the first pixel); axes alone are not enough
      // for a chart with no data, which ECharts leaves blank but for its axes, so count non-grey colour too.
      const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let differing = 0;
      let coloured = 0;
      for (let i = 4; i < pixels.length; i += 4) {
        if (pixels[i] !== pixels[0] || pixels[i + 1] !== pixels[1] || pixels[i + 2] !== pixels[2] || pixels[i + 3] !== pixels[3]) differing++;
        const [r, g, b, a] = [pixels[i]!, pixels[i + 1]!, pixels[i + 2]!, pixels[i + 3]!];
        if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 40) coloured++;
      }
      out[box.id] = differing >= 300 && coloured >= 20;
    }
    return out;
  });
}
