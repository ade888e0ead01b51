// The icons are drawn by hand as SVG and rendered by scripts/render-icons.mjs.
// The tray's states must be told apart by shape alone (colour-blind operators,
// monochrome panels), and the committed PNGs must match their sources.

import { Resvg } from '@resvg/resvg-js';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TRAY_LEVELS } from '../../src/main/tray.js';

const root = join(import.meta.dirname, '../..');

async function alphaMask(svgFile: string, size: number): Promise<boolean[]> {
  const img = new Resvg(await readFile(svgFile, 'utf8'), { fitTo: { mode: 'width', value: size } }).render();
  const mask: boolean[] = [];
  for (let i = 3; i < img.pixels.length; i += 4) mask.push(img.pixels[i]! > 127);
  return mask;
}

function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('tray icons', () => {
  it('differ in shape, not only in colour: their silhouettes overlap by less than 85 %', async () => {
    const masks = await Promise.all(TRAY_LEVELS.map((l) => alphaMask(join(root, `resources/tray-${l}.svg`), 32)));
    for (let a = 0; a < masks.length; a++) {
      for (let b = a + 1; b < masks.length; b++) {
        let both = 0;
        let either = 0;
        masks[a]!.forEach((on, i) => {
          if (on && masks[b]![i]) both++;
          if (on || masks[b]![i]) either++;
        });
        expect(both / either, `${TRAY_LEVELS[a]} vs ${TRAY_LEVELS[b]}`).toBeLessThan(0.85);
      }
    }
  });

  it('are rendered at 16 and 32 px with @2x variants', async () => {
    for (const level of TRAY_LEVELS) {
      const expected: Array<[string, number]> = [
        [`tray-${level}.png`, 16],
        [`tray-${level}@2x.png`, 32],
        [`tray-${level}-32.png`, 32],
        [`tray-${level}-32@2x.png`, 64],
      ];
      for (const [file, size] of expected) {
        expect(pngSize(await readFile(join(root, 'resources', file))), file).toEqual({ width: size, height: size });
      }
    }
  });

  it('match their SVG sources (run `npm run icons` after editing an SVG)', async () => {
    for (const level of TRAY_LEVELS) {
      const rendered = new Resvg(await readFile(join(root, `resources/tray-${level}.svg`), 'utf8'), {
        fitTo: { mode: 'width', value: 32 },
        background: 'rgba(0,0,0,0)',
      })
        .render()
        .asPng();
      expect(Buffer.compare(rendered, await readFile(join(root, `resources/tray-${level}@2x.png`))), level).toBe(0);
    }
  });
});

describe('app icon', () => {
  it('exists for every size electron-builder asks for', async () => {
    expect(pngSize(await readFile(join(root, 'build/icon.png')))).toEqual({ width: 1024, height: 1024 });
    for (const size of [16, 24, 32, 48, 64, 128, 256, 512, 1024]) {
      const file = join(root, `build/icons/${size}x${size}.png`);
      expect(existsSync(file), file).toBe(true);
      expect(pngSize(await readFile(file))).toEqual({ width: size, height: size });
    }
    expect(pngSize(await readFile(join(root, 'resources/icon.png')))).toEqual({ width: 256, height: 256 });
  });
});
