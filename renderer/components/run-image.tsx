// A run's tiny image drawn large with crisp pixels, fetched on demand. Renderer only.

import { useEffect } from 'react';
import { useStudio } from '../store/store.ts';
import type { RunImage } from '../lib/types.ts';

/** Fits a width × height image in a `box`-sided square, keeping its shape (a 128×32 image draws wide, not squashed). */
export function fitIn(box: number, width: number, height: number): { width: number; height: number } {
  const scale = box / Math.max(width, height, 1);
  return { width: Math.round(width * scale), height: Math.round(height * scale) };
}

export function PixelImage({ image, alt, size, className = '' }: { image: RunImage | null; alt: string; size: number; className?: string }) {
  const shown = image ? fitIn(size, image.width, image.height) : { width: size, height: size };
  return (
    <div className={`pixel-frame ${className}`} style={{ width: shown.width, height: shown.height }}>
      {image ? <img className="pixelated" src={image.src} alt={alt} width={shown.width} height={shown.height} draggable={false} /> : <div className="pixel-placeholder" aria-hidden="true" />}
    </div>
  );
}

/** The stored image of run `id`, fetched once and shared by every view of it. */
export function useRunImage(id: string | null): RunImage | null {
  const entry = useStudio((s) => (id === null ? undefined : s.images[id]));
  const loadImage = useStudio((s) => s.loadImage);
  useEffect(() => {
    if (id !== null) void loadImage(id);
  }, [id, loadImage]);
  return entry?.state === 'ready' ? entry.value : null;
}

export function StoredImage({ id, alt, size, className }: { id: string; alt: string; size: number; className?: string }) {
  const image = useRunImage(id);
  return <PixelImage image={image} alt={alt} size={size} {...(className ? { className } : {})} />;
}
