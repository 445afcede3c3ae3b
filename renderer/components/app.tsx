// The window: toolbar, settings sidebar, stage and history, plus keyboard
// shortcuts (⌘↩ or Ctrl+↩ generate, Esc cancel outside text fields). Renderer only.

import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useStudio } from '../store/store.ts';
import { isTextEntry } from '../lib/platform.ts';
import { ErrorBanner } from './error-banner.tsx';
import { HistoryPanel } from './history-panel.tsx';
import { CupIcon } from './icons.tsx';
import { ModelControl } from './model-control.tsx';
import { SettingsPanel } from './settings-panel.tsx';
import { Stage } from './stage.tsx';

export function App() {
  const { model, modelError, draft, error, dismissError, loadModel, connected } = useStudio(
    useShallow((s) => ({ model: s.model, modelError: s.modelError, draft: s.draft, error: s.error, dismissError: s.dismissError, loadModel: s.loadModel, connected: s.connected })),
  );
  useShortcuts();
  return (
    <div className="app">
      <header className="toolbar">
        <div className="toolbar-title">
          <span className="app-icon" aria-hidden="true">
            <CupIcon width={15} height={15} />
          </span>
          <span className="app-name">TeaCache Studio</span>
        </div>
        <div className="toolbar-end">
          {!connected && (
            <span className="toolbar-pill is-warning" role="status">
              <span className="spinner" aria-hidden="true" /> Reconnecting to the engine…
            </span>
          )}
          {model && (
            <div className="toolbar-model" title={model.info.notes.join('\n')}>
              <span className={`model-dot${model.info.trained ? '' : ' is-untrained'}`} aria-hidden="true" />
              <span>{model.info.name}</span>
              {!model.info.trained && <span className="tag tag-warning">random weights</span>}
              <span className="toolbar-sep">·</span>
              <span className="muted">{model.backendLabel}</span>
            </div>
          )}
          <ModelControl />
        </div>
      </header>
      {model && draft ? (
        <div className="workspace">
          <SettingsPanel model={model} draft={draft} />
          <div className="stage-column">
            {error && <ErrorBanner error={error} onDismiss={dismissError} />}
            <Notice />
            <Stage />
          </div>
          <HistoryPanel />
        </div>
      ) : modelError ? (
        <div className="boot">
          <ErrorBanner error={modelError} />
          <button type="button" className="button button-secondary" onClick={() => void loadModel()}>
            Try again
          </button>
        </div>
      ) : (
        <div className="boot" role="status">
          <span className="spinner" aria-hidden="true" /> Loading the model…
        </div>
      )}
    </div>
  );
}

/** How long a confirmation such as "Image copied" stays. */
const NOTICE_MS = 4000;

/** The passing confirmation of an action (saved, copied); a polite status for screen readers. */
function Notice() {
  const { notice, showNotice } = useStudio(useShallow((s) => ({ notice: s.notice, showNotice: s.showNotice })));
  useEffect(() => {
    if (notice === null) return;
    const timer = setTimeout(() => showNotice(null), NOTICE_MS);
    return () => clearTimeout(timer);
  }, [notice, showNotice]);
  return (
    <div className="stage-notice" role="status">
      {notice && <p className="toast">{notice}</p>}
    </div>
  );
}

function useShortcuts() {
  const { generateBatch, cancel } = useStudio(useShallow((s) => ({ generateBatch: s.generateBatch, cancel: s.cancel })));
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Enter' && (event.metaKey || event.ctrlKey)) {
        event.preventDefault();
        void generateBatch();
      } else if (event.key === 'Escape' && !event.defaultPrevented && !isTextEntry(event.target)) {
        // In a text field Esc belongs to the field (undo a composition, leave it); popovers stop it themselves.
        void cancel();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [generateBatch, cancel]);
}
