// Renders the hand-drawn SVGs to the PNGs electron-builder and the tray need:
//   build/icon.svg      -> build/icon.png (1024) and build/icons/<n>x<n>.png (Linux icon set)
//   resources/tray-*.svg -> resources/tray-<level>.png (16) + @2x (32), -32.png (32) + @2x (64)
//   build/icon.svg      -> resources/icon.png (256, the window and notification icon at run time)
// Run with `npm run icons`; the PNGs are committed so a build needs no renderer.

import { Resvg } from '@resvg/resvg-js';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const APP_ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];

async function render(svgPath, size, outPath) {
  const svg = await readFile(svgPath, 'utf8');
  const png = new Resvg(svg, { fitTo: { mode: 'width', value: size }, background: 'rgba(0,0,0,0)' }).render().asPng();
  await writeFile(outPath, png);
  return outPath;
}

async function main() {
  const written = [];
  const appSvg = join(root, 'build/icon.svg');
  await mkdir(join(root, 'build/icons'), { recursive: true });
  written.push(await render(appSvg, 1024, join(root, 'build/icon.png')));
  for (const size of APP_ICON_SIZES)
    written.push(await render(appSvg, size, join(root, `build/icons/${size}x${size}.png`)));
  written.push(await render(appSvg, 256, join(root, 'resources/icon.png')));

  const trays = (await readdir(join(root, 'resources'))).filter((f) => /^tray-[a-z]+\.svg$/.test(f));
  if (trays.length === 0) throw new Error('no resources/tray-*.svg found');
  for (const file of trays) {
    const svg = join(root, 'resources', file);
    const base = join(root, 'resources', file.replace(/\.svg$/, ''));
    written.push(await render(svg, 16, `${base}.png`));
    written.push(await render(svg, 32, `${base}@2x.png`));
    written.push(await render(svg, 32, `${base}-32.png`));
    written.push(await render(svg, 64, `${base}-32@2x.png`));
  }
  console.log(`rendered ${written.length} PNGs`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
