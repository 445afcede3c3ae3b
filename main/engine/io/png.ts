// PNG files with generation parameters in text chunks, as other generators
// write them ("parameters", readable by common image tools). Pure except for
// the caller's choice of where to write the bytes.

import { decode, encode } from 'fast-png';

/**
 * tEXt chunks are Latin-1 only; escaping everything outside ASCII keeps any
 * prompt intact (\uXXXX survives a JSON.parse round trip).
 */
export function asciiSafe(text: string): string {
  return text.replace(/[^\x20-\x7e\n]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function encodePng(rgb: Uint8Array, width: number, height: number, text: Record<string, string> = {}): Uint8Array {
  if (rgb.length !== width * height * 3) {
    throw new RangeError(`RGB data has ${rgb.length} bytes; ${width}×${height} needs ${width * height * 3}.`);
  }
  const chunks = Object.fromEntries(Object.entries(text).map(([key, value]) => [key, asciiSafe(value)]));
  return encode({ width, height, data: rgb, channels: 3, depth: 8, text: chunks });
}

export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  readonly rgb: Uint8Array;
  readonly text: Record<string, string>;
}

export function decodePng(bytes: Uint8Array): DecodedImage {
  const png = decode(bytes);
  if (png.depth !== 8 || (png.channels !== 3 && png.channels !== 4)) {
    throw new Error(`Only 8-bit RGB or RGBA PNGs are supported (this one has ${png.channels} channels at ${png.depth} bits).`);
  }
  let rgb = png.data as Uint8Array;
  if (png.channels === 4) {
    rgb = new Uint8Array(png.width * png.height * 3);
    for (let i = 0, j = 0; i < png.data.length; i += 4, j += 3) {
      rgb[j] = png.data[i]!;
      rgb[j + 1] = png.data[i + 1]!;
      rgb[j + 2] = png.data[i + 2]!;
    }
  }
  return { width: png.width, height: png.height, rgb, text: png.text };
}
