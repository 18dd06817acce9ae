#!/usr/bin/env node
/**
 * Renders plotly figures to static PNGs (with the HTML output that shows them until plotly.js
 * runs), for scripts/notebook_images.py. Uses this checkout's build (npm run build first).
 *
 * Usage: node scripts/figure-images.js IN.json OUT.json
 *   IN.json:  [{data, layout, config?}, ...]
 *   OUT.json: [{pngBase64, width, height, html}, ...] in the same order
 */
'use strict';
const fs = require('fs');
const path = require('path');

async function main() {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    console.error('usage: node scripts/figure-images.js IN.json OUT.json');
    return 2;
  }
  const built = path.join(__dirname, '..', 'build', 'src', 'plot', 'export.js');
  if (!fs.existsSync(built)) {
    console.error(`figure-images: ${built} is missing; build first (npm run build).`);
    return 2;
  }
  const { staticFigureImage, closeExportBrowser } = require(built);
  const figures = JSON.parse(fs.readFileSync(input, 'utf8'));
  if (!Array.isArray(figures)) throw new Error(`${input}: expected a JSON array of plotly figures.`);
  const results = [];
  try {
    for (const [i, fig] of figures.entries()) {
      try {
        results.push(await staticFigureImage(fig));
      } catch (e) {
        throw new Error(`figure ${i}${fig && fig.layout && fig.layout.title ? ` ('${fig.layout.title.text || fig.layout.title}')` : ''}: ${e.message}`);
      }
    }
  } finally {
    await closeExportBrowser();
  }
  fs.writeFileSync(output, JSON.stringify(results));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`figure-images: ${e.message}`);
    process.exit(1);
  },
);
