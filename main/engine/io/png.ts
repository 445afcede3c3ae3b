// PNG files with generation parameters in text chunks, as other generators
// write them ("parameters", readable by common image tools), and a quick check
// that a stored one is whole. Node only for zlib's CRC; otherwise pure.

import { crc32 } from 'node:zlib';
import { decode, encode } from 'fast-png';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Why `bytes` is not a whole PNG of `width`×`height`, or undefined when it is:
 * the signature, every chunk inside the file with its CRC intact, the size in
 * IHDR, image data, and IEND last. Catches truncation and flipped bytes
 * without inflating the pixels, so a history of hundreds of runs opens fast.
 */
export function pngProblem(bytes: Uint8Array, width: number, height: number): string | undefined {
  if (bytes.length < SIGNATURE.length || SIGNATURE.some((b, i) => bytes[i] !== b)) return 'it is not a PNG file';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = SIGNATURE.length;
  let first = true;
  let hasData = false;
  while (at + 12 <= bytes.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const end = at + 12 + length;
    if (end > bytes.length) return `its ${type} chunk runs past the end of the file (truncated)`;
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length)) return `its ${type} chunk is damaged (CRC mismatch)`;
    if (first) {
      if (type !== 'IHDR' || length < 8) return 'it does not start with an IHDR chunk';
      const [w, h] = [view.getUint32(at + 8), view.getUint32(at + 12)];
      if (w !== width || h !== height) return `it is ${w}×${h}, not the ${width}×${height} its record says`;
      first = false;
    }
    if (type === 'IDAT') hasData = true;
    if (type === 'IEND') return hasData ? undefined : 'it holds no image data';
    at = end;
  }
  return 'it ends before its IEND chunk (truncated)';
}

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

/** `png` as a data: URL, the form the contract carries images in (an <img> shows it as is). */
export function pngDataUrl(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64')}`;
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
