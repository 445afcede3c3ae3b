// Saving and copying a run's image as the host stored it: the PNG bytes of its data: URL, parameters chunk and
// all, never re-encoded. Renderer only (uses the DOM's download and clipboard).

import type { RunEntry } from './types.ts';

/** A file name for run `entry`'s image: the prompt's words and the seed, e.g. "red-heart-seed-42.png". */
export function imageFileName(entry: Pick<RunEntry, 'request'>): string {
  const words = entry.request.prompt.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60).replace(/-+$/, '');
  return `${words || 'image'}-seed-${entry.request.seed}.png`;
}

/** The bytes of a base64 PNG data: URL. */
export function pngBytes(dataUrl: string): Uint8Array<ArrayBuffer> {
  const comma = dataUrl.indexOf(',');
  if (!dataUrl.startsWith('data:image/png;base64,') || comma < 0) throw new Error('The image is not a PNG data URL.');
  const text = atob(dataUrl.slice(comma + 1));
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Web mode's save: the browser downloads the stored PNG under `fileName`. */
export function downloadImage(dataUrl: string, fileName: string, doc: Document = document): void {
  const link = doc.createElement('a');
  link.href = URL.createObjectURL(new Blob([pngBytes(dataUrl)], { type: 'image/png' }));
  link.download = fileName;
  doc.body.append(link);
  link.click();
  link.remove();
  // The click has started the download by the time a task later runs.
  setTimeout(() => URL.revokeObjectURL(link.href), 0);
}

/** Puts the PNG on the clipboard; throws with a sentence when the browser or app refuses. */
export async function copyImage(dataUrl: string): Promise<void> {
  if (typeof ClipboardItem === 'undefined' || !navigator.clipboard?.write) {
    throw new Error('This browser cannot copy images; use Save instead.');
  }
  await navigator.clipboard.write([new ClipboardItem({ 'image/png': new Blob([pngBytes(dataUrl)], { type: 'image/png' }) })]);
}
