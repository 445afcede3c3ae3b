// The right sidebar: the host's queue (with Cancel) above every stored run, newest first, each uncached
// reference and plain-steps run grouped under the run it measures; rows give seed, size, time and the cache setting. Delete offers
// Undo for a few seconds. Kept by the host, so it survives restarts. Renderer only.

import type { ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { formatMs, formatSpeedup, formatThreshold, formatTime } from '../lib/format.ts';
import { measuringRunLabel } from '../lib/labels.ts';
import { measuredRunOf } from '../../main/core/run-links.ts';
import { forwardEquivalentsOf, idealSpeedup, isTimingNoise } from '../../main/core/teacache/step-cost.ts';
import type { PendingJob, RunEntry } from '../lib/types.ts';
import { useStudio } from '../store/store.ts';
import { ApplyIcon, CloseIcon, TrashIcon } from './icons.tsx';
import { StoredImage } from './run-image.tsx';

/** Runs with their references (uncached and plain-steps) under them; a reference whose run is gone stands alone. */
export function groupRuns(history: readonly RunEntry[]): { entry: RunEntry; references: RunEntry[] }[] {
  const ids = new Set(history.map((e) => e.id));
  const under = (e: RunEntry) => {
    const measured = measuredRunOf(e);
    return measured !== null && ids.has(measured) ? measured : null;
  };
  const groups = history.filter((e) => under(e) === null).map((entry) => ({ entry, references: [] as RunEntry[] }));
  const byId = new Map(groups.map((g) => [g.entry.id, g]));
  for (const e of history) {
    const measured = under(e);
    if (measured !== null) byId.get(measured)?.references.push(e);
  }
  return groups;
}

export function HistoryPanel() {
  const { history, more, status, error, selectedId, selectRun, removeRunUndoable, loadHistory, loadMoreHistory, pendingRemoval, undoRemove } = useStudio(
    useShallow((s) => ({
      history: s.history,
      more: s.historyMore,
      loadMoreHistory: s.loadMoreHistory,
      status: s.historyStatus,
      error: s.historyError,
      selectedId: s.selectedId,
      selectRun: s.selectRun,
      removeRunUndoable: s.removeRunUndoable,
      loadHistory: s.loadHistory,
      pendingRemoval: s.pendingRemoval,
      undoRemove: s.undoRemove,
    })),
  );
  const shown = pendingRemoval ? history.filter((e) => e.id !== pendingRemoval.id && measuredRunOf(e) !== pendingRemoval.id) : history;
  const groups = groupRuns(shown);
  return (
    <aside className="sidebar history" aria-label="History">
      <QueueView />
      <header className="sidebar-header">
        <h2 className="section-title">History</h2>
        <span className="count-badge">
          {shown.length}
          {more ? '+' : ''}
        </span>
      </header>
      {pendingRemoval && (
        <div className="undo-bar" role="status">
          <span>Deleted “{pendingRemoval.prompt || 'Untitled'}”</span>
          <button type="button" className="text-button" onClick={undoRemove}>
            Undo
          </button>
        </div>
      )}
      {status === 'failed' && error ? (
        <div className="history-empty" role="alert">
          <p>{error.message}</p>
          <button type="button" className="text-button" onClick={() => void loadHistory()}>
            Try again
          </button>
        </div>
      ) : shown.length === 0 && !more ? (
        <p className="history-empty">{status === 'loading' ? 'Loading…' : 'Runs you generate appear here, with their settings and stats.'}</p>
      ) : (
        <ul className="history-list" aria-label="Runs">
          {groups.map(({ entry, references }) => (
            <HistoryItem key={entry.id} entry={entry} selectedId={selectedId} onSelect={selectRun} onRemove={removeRunUndoable}>
              {references.length > 0 && (
                <ul className="history-references" aria-label={`References of “${entry.request.prompt || 'Untitled'}”`}>
                  {references.map((reference) => (
                    <HistoryItem key={reference.id} entry={reference} selectedId={selectedId} onSelect={selectRun} onRemove={removeRunUndoable} />
                  ))}
                </ul>
              )}
            </HistoryItem>
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

/** The cache setting a run used, as short as a row allows. */
function cacheTag(entry: RunEntry): string {
  const { cache } = entry.request;
  if (entry.baselineOf !== null) return 'Uncached';
  if (entry.fewerStepsOf) return 'Plain steps';
  if (!cache.enabled) return 'Cache off';
  return `${cache.policy === 'teacache' ? 'TeaCache' : cache.policy === 'seed' ? 'Seed rule' : 'Timestep'} τ ${formatThreshold(cache.threshold)}`;
}

function HistoryItem({
  entry,
  selectedId,
  onSelect,
  onRemove,
  children,
}: {
  entry: RunEntry;
  selectedId: string | null;
  onSelect: (id: string) => void;
  onRemove: (id: string) => void;
  children?: ReactNode;
}) {
  const applySettings = useStudio((s) => s.applySettings);
  const { request, stats } = entry;
  const selected = entry.id === selectedId;
  const reference = measuredRunOf(entry) !== null;
  const prompt = request.prompt || 'Untitled';
  return (
    <li className={`history-item${selected ? ' is-selected' : ''}${reference ? ' is-reference' : ''}`} data-run-id={entry.id}>
      <div className="history-row">
        <button type="button" className="history-select" aria-current={selected ? 'true' : undefined} onClick={() => onSelect(entry.id)}>
          <StoredImage id={entry.id} alt="" size={reference ? 36 : 48} className="history-thumb" />
          <span className="history-text">
            <span className="history-prompt">{measuringRunLabel(entry) ?? prompt}</span>
            <span className="history-meta">
              <span className={`tag${reference || !request.cache.enabled ? '' : ' tag-accent'}`}>{cacheTag(entry)}</span>
              <span>seed {request.seed}</span>
            </span>
            <span className="history-meta">
              <span>{formatTime(entry.createdAt)}</span>
              <span>
                {request.width}×{request.height}
              </span>
              <span title={`${stats.misses} of ${request.steps} steps ran the model`}>
                {stats.misses}/{request.steps}
              </span>
              <span>{formatMs(entry.wallMs)}</span>
              {entry.baseline && <MeasuredSpeedup entry={entry} speedup={entry.baseline.speedup} />}
            </span>
          </span>
        </button>
        <span className="history-actions">
          <button type="button" className="icon-button" aria-label={`Use the settings of “${prompt}”, seed ${request.seed}`} title="Use these settings" onClick={() => applySettings(request)}>
            <ApplyIcon />
          </button>
          <button type="button" className="icon-button history-remove" aria-label={`Delete run “${prompt}”, seed ${request.seed}`} title="Delete" onClick={() => onRemove(entry.id)}>
            <TrashIcon />
          </button>
        </span>
      </div>
      {children}
    </li>
  );
}

/** A run's measured speedup; above the ideal (steps over what they cost in forwards) it is timing noise, and says so. */
function MeasuredSpeedup({ entry, speedup }: { entry: RunEntry; speedup: number }) {
  const ideal = idealSpeedup(entry.request.steps, forwardEquivalentsOf(entry.stats));
  const noisy = isTimingNoise(speedup, ideal);
  return (
    <span className={`history-speedup${noisy ? ' is-noisy' : ''}`} title={noisy ? `Measured ${formatSpeedup(speedup)}, above the ideal ${formatSpeedup(ideal)}: timing noise` : 'Measured against the uncached reference'}>
      {formatSpeedup(speedup)}
      {noisy && <span className="visually-hidden"> (above the ideal {formatSpeedup(ideal)}: timing noise)</span>}
      {noisy && <span aria-hidden="true"> ~noise</span>}
    </span>
  );
}

/** Jobs waiting on the host (this window's batch, other windows' runs), with Cancel for each and for all. */
function QueueView() {
  const { jobs, run, cancelJob } = useStudio(useShallow((s) => ({ jobs: s.jobs, run: s.run, cancelJob: s.cancelJob })));
  if (jobs.length === 0) return null;
  const waiting = jobs.filter((j) => !j.running);
  return (
    <section className="queue" aria-label="Queue">
      <header className="sidebar-header">
        <h2 className="section-title">Queue</h2>
        <span className="count-badge">{jobs.length}</span>
        {waiting.length > 1 && (
          <button type="button" className="text-button queue-cancel-all" onClick={() => waiting.forEach((j) => void cancelJob(j.jobId))}>
            Cancel queued
          </button>
        )}
      </header>
      <ol className="queue-list">
        {jobs.map((job, index) => (
          <QueueRow key={job.jobId} job={job} place={index} following={run?.jobId === job.jobId} onCancel={() => void cancelJob(job.jobId)} />
        ))}
      </ol>
    </section>
  );
}

function QueueRow({ job, place, following, onCancel }: { job: PendingJob; place: number; following: boolean; onCancel: () => void }) {
  const prompt = job.request.prompt || 'Untitled';
  const what = measuringRunLabel(job) ?? prompt;
  return (
    <li className={`queue-row${job.running ? ' is-running' : ''}`}>
      <span className="queue-place" aria-hidden="true">
        {job.running ? <span className="spinner" /> : place}
      </span>
      <span className="queue-text">
        <span className="history-prompt">{what}</span>
        <span className="history-meta">
          {job.running ? (following ? 'running · on the stage' : 'running') : `queued · ${place} ahead`} · seed {job.request.seed}
        </span>
      </span>
      <button type="button" className="icon-button" aria-label={`Cancel ${job.running ? 'running' : 'queued'} job “${what}”, seed ${job.request.seed}`} title="Cancel" onClick={onCancel}>
        <CloseIcon />
      </button>
    </li>
  );
}
