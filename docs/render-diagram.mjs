// Renders docs/architecture.mmd to docs/architecture.svg with Mermaid in headless Chromium.
// Mermaid is not a dependency of tfsweep: `npm i --no-save mermaid@11` first, then `node docs/render-diagram.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const here = new URL('.', import.meta.url);
const require = createRequire(import.meta.url);
const mermaid = readFileSync(require.resolve('mermaid/dist/mermaid.min.js'), 'utf8');
const source = readFileSync(new URL('architecture.mmd', here), 'utf8');
const browser = await chromium.launch({ executablePath: process.env.TFSWEEP_TEST_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage();
  await page.setContent('<!doctype html><html><body></body></html>');
  await page.addScriptTag({ content: mermaid });
  const svg = await page.evaluate(async (text) => {
    globalThis.mermaid.initialize({ startOnLoad: false, theme: 'neutral' });
    return (await globalThis.mermaid.render('architecture', text)).svg;
  }, source);
  // Mermaid writes HTML line breaks inside the SVG's labels; an SVG file is XML, where they must be closed.
  writeFileSync(new URL('architecture.svg', here), svg.replace(/<br>/g, '<br/>'));
  console.log(`docs/architecture.svg: ${svg.length} bytes`);
} finally {
  await browser.close();
}
