// @vitest-environment jsdom
// The whole window in jsdom: Esc cancels a run only outside text fields and closes the Model panel first; radio
// groups move with the arrow keys; a run waiting in the host's queue says so and its place; a failed run is not
// "Generating"; a measured speedup above the ideal is marked as noise; the difference map has its scale.
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { App } from '../../../renderer/components/app.tsx';
import { createStudioStore, StoreProvider, type StudioStore } from '../../../renderer/store/store.ts';
import { entry, FakeBackend, flush } from '../fixtures.ts';

let backend: FakeBackend;
let store: StudioStore;

beforeEach(async () => {
  backend = new FakeBackend();
  store = createStudioStore(backend);
  await store.getState().loadModel();
});

afterEach(cleanup);

const renderApp = () =>
  render(
    <StoreProvider store={store}>
      <App />
    </StoreProvider>,
  );

async function startRun() {
  fireEvent.click(screen.getByRole('button', { name: 'Generate' }));
  await act(flush);
  return backend.last();
}

describe('keyboard', () => {
  it('Esc in the prompt edits the prompt; Esc elsewhere cancels the run', async () => {
    renderApp();
    const job = await startRun();
    fireEvent.keyDown(screen.getByRole('textbox', { name: 'Prompt' }), { key: 'Escape' });
    await act(flush);
    expect(backend.cancelled).toEqual([]);
    fireEvent.keyDown(document.body, { key: 'Escape' });
    await act(flush);
    expect(backend.cancelled).toEqual([job.jobId]);
  });

  it('Esc closes the Model panel without cancelling the run', async () => {
    renderApp();
    await startRun();
    fireEvent.click(screen.getByRole('button', { name: 'Model' }));
    expect(screen.getByRole('region', { name: 'Model' })).toBeTruthy();
    fireEvent.keyDown(screen.getByRole('button', { name: 'Close' }), { key: 'Escape' });
    await act(flush);
    expect(screen.queryByRole('region', { name: 'Model' })).toBeNull();
    expect(backend.cancelled).toEqual([]);
  });

  it('moves a radio group’s choice with the arrow keys, one tab stop for the group', () => {
    renderApp();
    const group = screen.getByRole('radiogroup', { name: 'Size' });
    const radios = within(group).getAllByRole('radio');
    expect(radios.filter((r) => r.tabIndex === 0)).toHaveLength(1);
    const start = radios.findIndex((r) => r.getAttribute('aria-checked') === 'true');
    fireEvent.keyDown(radios[start]!, { key: 'ArrowRight' });
    expect(within(group).getAllByRole('radio')[start + 1]!.getAttribute('aria-checked')).toBe('true');
    fireEvent.keyDown(radios[start + 1]!, { key: 'ArrowLeft' });
    expect(within(group).getAllByRole('radio')[start]!.getAttribute('aria-checked')).toBe('true');
  });
});

describe('the stage', () => {
  it('says a run waiting in the host’s queue is queued, and where', async () => {
    renderApp();
    const job = await startRun();
    backend.hostJobs = [
      { jobId: 'other', running: true, request: { prompt: 'another window', seed: 1 }, baselineOf: null },
      { jobId: job.jobId, running: false, request: { prompt: 'red heart', seed: 42 }, baselineOf: null },
    ];
    await act(() => store.getState().refreshJobs());
    const main = screen.getByRole('main', { name: 'Run' });
    expect(within(main).getByRole('status').textContent).toBe('Queued · 1 job ahead');
    expect(within(main).getByText('Run · queued')).toBeTruthy();
    expect(within(screen.getByRole('region', { name: 'Queue' })).getAllByRole('listitem')).toHaveLength(2);
  });

  it('a failed run says failed, not generating', async () => {
    renderApp();
    const job = await startRun();
    job.reject({ code: 'INTERNAL', message: 'boom' });
    await act(flush);
    const main = screen.getByRole('main', { name: 'Run' });
    expect(within(main).queryByText('Generating')).toBeNull();
    expect(within(main).getByText('Run · failed')).toBeTruthy();
  });

  it('marks a measured speedup above the ideal as timing noise, and gives the difference map a scale', async () => {
    // 10 forwards of 30 steps: at most 3×; 3.6× measured is noise.
    backend.entries = [entry('run1', { baseline: { id: 'run2', wallMs: 4320, speedup: 3.6, psnr: 30 } }), entry('run2', { baselineOf: 'run1', createdAt: '2020-01-01T00:00:00Z' })];
    await store.getState().loadHistory();
    store.getState().setCompareMode('difference');
    renderApp();
    await act(flush);
    const tile = screen.getByRole('group', { name: 'Speedup' });
    expect(tile.textContent).toContain('above the ideal 3.00×: timing noise');
    expect(screen.getByText('12 of 255')).toBeTruthy();
    // The references sit under their run in the history.
    const references = screen.getByRole('list', { name: /^References of/ });
    expect(within(references).getAllByRole('listitem')).toHaveLength(1);
  });
});
