// The right sidebar: every stored run with its image, settings and stats,
// newest first; kept by the host, so it survives restarts. Renderer only.

import { useShallow } from 'zustand/react/shallow';
import { formatMs, formatSpeedup, formatThreshold, formatTime } from '../lib/format.ts';
import type { RunEntry } from '../lib/types.ts';
import { useStudio } from '../store/store.ts';
import { TrashIcon } from './icons.tsx';
import { StoredImage } from './run-image.tsx';

export function HistoryPanel() {
  const { history, more, status, error, selectedId, selectRun, removeRun, loadHistory, loadMoreHistory } = useStudio(
    useShallow((s) => ({
      history: s.history,
      more: s.historyMore,
      loadMoreHistory: s.loadMoreHistory,
      status: s.historyStatus,
      error: s.historyError,
      selectedId: s.selectedId,
      selectRun: s.selectRun,
      removeRun: s.removeRun,
      loadHistory: s.loadHistory,
    })),
  );
  return (
    <aside className="sidebar history" aria-label="History">
      <header className="sidebar-header">
        <h2 className="section-title">History</h2>
        <span className="count-badge">
          {history.length}
          {more ? '+' : ''}
        </span>
      </header>
      {status === 'failed' && error ? (
        <div className="history-empty" role="alert">
          <p>{error.message}</p>
          <button type="button" className="text-button" onClick={() => void loadHistory()}>
            Try again
          </button>
        </div>
      ) : history.length === 0 ? (
        <p className="history-empty">{status === 'loading' ? 'Loading…' : 'Runs you generate appear here, with their settings and stats.'}</p>
      ) : (
        <ul className="history-list" aria-label="Runs">
          {history.map((entry) => (
            <HistoryItem key={entry.id} entry={entry} selected={entry.id === selectedId} onSelect={() => selectRun(entry.id)} onRemove={() => void removeRun(entry.id)} />
          ))}
          {/* Pages, so a long history does not fetch every thumbnail at load. */}
          {more && (
            <li className="history-more">
              <button type="button" className="text-button" disabled={status === 'loading'} onClick={() => void loadMoreHistory()}>
                {status === 'loading' ? 'Loading…' : 'Show older runs'}
              </button>
            </li>
          )}
        </ul>
      )}
    </aside>
  );
}

function HistoryItem({ entry, selected, onSelect, onRemove }: { entry: RunEntry; selected: boolean; onSelect: () => void; onRemove: () => void }) {
  const { request, stats } = entry;
  const reference = entry.baselineOf !== null;
  return (
    <li className={`history-item${selected ? ' is-selected' : ''}`} data-run-id={entry.id}>
      <button type="button" className="history-select" aria-current={selected ? 'true' : undefined} onClick={onSelect} aria-label={`${request.prompt || 'Untitled'}, ${formatTime(entry.createdAt)}`}>
        <StoredImage id={entry.id} alt="" size={48} className="history-thumb" />
        <span className="history-text">
          <span className="history-prompt">{request.prompt || 'Untitled'}</span>
          <span className="history-meta">
            {reference ? <span className="tag">Uncached</span> : !request.cache.enabled ? <span className="tag">Cache off</span> : <span className="tag tag-accent">τ {formatThreshold(request.cache.threshold)}</span>}
            <span>
              {stats.misses}/{request.steps}
            </span>
            <span>{formatMs(entry.wallMs)}</span>
            {entry.baseline && <span className="history-speedup">{formatSpeedup(entry.baseline.speedup)}</span>}
          </span>
        </span>
      </button>
      <button type="button" className="icon-button history-remove" aria-label={`Delete run “${request.prompt || 'Untitled'}”`} title="Delete" onClick={onRemove}>
        <TrashIcon />
      </button>
    </li>
  );
}
