// The toolbar's compact "Model" control: which model is loaded and from where, opening another folder (the
// native dialog in the desktop app, a typed path in web mode), and a refused folder's problems file by file.
// Renderer only; talks to the store, never to the transport.

import { useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useStudio } from '../store/store.ts';

export function ModelControl() {
  const { source, refusal, switching, canPick, openModelFolder, pickModelFolder } = useStudio(
    useShallow((s) => ({
      source: s.modelSource,
      refusal: s.modelRefusal,
      switching: s.modelSwitching,
      canPick: s.canPickModelFolder,
      openModelFolder: s.openModelFolder,
      pickModelFolder: s.pickModelFolder,
    })),
  );
  // A fallback note or a refusal is news the user must see, so the panel starts open with one.
  const [open, setOpen] = useState(false);
  const [dismissed, setDismissed] = useState(false);
  const [path, setPath] = useState('');
  const expanded = open || (!dismissed && (Boolean(source?.note) || refusal !== null));
  const toggle = () => {
    setOpen(!expanded);
    setDismissed(expanded);
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDismissed(false);
    if (path.trim()) void openModelFolder(path.trim());
  };

  const toggleRef = useRef<HTMLButtonElement>(null);
  // Esc closes the panel (and does not reach the window's Esc, which cancels a run).
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape' || !expanded) return;
    event.stopPropagation();
    toggle();
    toggleRef.current?.focus();
  };

  return (
    <div className="model-control" onKeyDown={onKeyDown}>
      <button ref={toggleRef} type="button" className="button button-secondary model-control-toggle" aria-expanded={expanded} onClick={toggle}>
        Model
      </button>
      {expanded && (
        <section className="model-panel" aria-label="Model">
          <p className="model-source">
            {source?.kind === 'folder' ? (
              <>
                Folder <code>{source.dir}</code>
              </>
            ) : (
              'Built-in model'
            )}
          </p>
          {source?.note && (
            <p className="model-note" role="status">
              {source.note}
            </p>
          )}
          {canPick ? (
            <button
              type="button"
              className="button button-secondary"
              disabled={switching}
              onClick={() => {
                setDismissed(false);
                void pickModelFolder();
              }}
            >
              Open folder…
            </button>
          ) : (
            <form className="model-path-form" onSubmit={submit}>
              <input
                className="text-input"
                aria-label="Model folder path"
                placeholder="/path/to/FLUX.1-schnell"
                value={path}
                onChange={(event) => setPath(event.target.value)}
              />
              <button type="submit" className="button button-secondary" disabled={switching || !path.trim()}>
                Open folder
              </button>
            </form>
          )}
          {source?.kind === 'folder' && (
            <button type="button" className="button button-secondary" disabled={switching} onClick={() => void openModelFolder(null)}>
              Use the built-in model
            </button>
          )}
          {switching && (
            <p className="muted" role="status">
              <span className="spinner" aria-hidden="true" /> Checking the folder…
            </p>
          )}
          {refusal && (
            <div className="model-refusal" role="alert">
              <p>
                Cannot use <code>{refusal.dir}</code>; the current model stays loaded:
              </p>
              <ul>
                {refusal.problems.map((problem) => (
                  <li key={`${problem.path}\n${problem.message}`}>
                    <code>{problem.path}</code>: {problem.message}
                  </li>
                ))}
              </ul>
            </div>
          )}
          <button type="button" className="button button-secondary" onClick={toggle}>
            Close
          </button>
        </section>
      )}
    </div>
  );
}
