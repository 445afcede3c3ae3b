// A run's image up close: a modal view at whole-number zoom levels, nearest-neighbour when enlarged (the
// built-in model's pixels stay crisp); Esc, the close button or a click outside closes it. Renderer only.

import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useRunImage } from './run-image.tsx';

/** The largest whole zoom at which a width × height image fits the window, at least 1. */
export function fittingZoom(width: number, height: number, room: { width: number; height: number }): number {
  return Math.max(1, Math.floor(Math.min(room.width / Math.max(1, width), room.height / Math.max(1, height))));
}

export function ImageZoom({ id, alt, width, height, onClose }: { id: string; alt: string; width: number; height: number; onClose: () => void }) {
  const image = useRunImage(id);
  const fit = fittingZoom(width, height, { width: window.innerWidth - 96, height: window.innerHeight - 150 });
  const [zoom, setZoom] = useState(fit);
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    closeRef.current?.focus();
    return () => before?.focus();
  }, []);
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      // Closing the zoom is all Esc does here: it must not also cancel a run.
      event.stopPropagation();
      onClose();
    } else if (event.key === '+' || event.key === '=') setZoom((z) => Math.min(64, z + 1));
    else if (event.key === '-') setZoom((z) => Math.max(1, z - 1));
  };
  return (
    <div className="zoom-backdrop" onClick={(event) => event.target === event.currentTarget && onClose()} onKeyDown={onKeyDown}>
      <div className="zoom-dialog" role="dialog" aria-modal="true" aria-label="Zoomed image">
        <div className="zoom-toolbar">
          <span className="zoom-size">
            {width}×{height} px at {zoom}×
          </span>
          <button type="button" className="button button-secondary button-small" onClick={() => setZoom((z) => Math.max(1, z - 1))} disabled={zoom <= 1} aria-label="Zoom out">
            −
          </button>
          <button type="button" className="button button-secondary button-small" onClick={() => setZoom((z) => Math.min(64, z + 1))} aria-label="Zoom in">
            +
          </button>
          <button type="button" className="button button-secondary button-small" onClick={() => setZoom(fit)}>
            Fit
          </button>
          <button ref={closeRef} type="button" className="button button-secondary button-small" onClick={onClose}>
            Close
          </button>
        </div>
        <div className="zoom-body">
          {image ? (
            <img src={image.src} alt={alt} width={width * zoom} height={height * zoom} className={zoom > 1 ? 'zoom-image is-nearest' : 'zoom-image'} draggable={false} />
          ) : (
            <p className="muted">Loading…</p>
          )}
        </div>
      </div>
    </div>
  );
}
