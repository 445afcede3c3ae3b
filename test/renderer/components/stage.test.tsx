// @vitest-environment jsdom
// The result stage against fewer steps: a cached run offers its forwards as plain steps, or says why it cannot;
// once linked, the cache's PSNR and the plain steps' stand side by side against the uncached reference, or the
// stage says that reference is needed and offers it; a plain-steps run leads back to its cached run; a First-Block
// Cache run's ideal speedup counts the first blocks its reused steps ran.
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistoryPanel } from '../../../renderer/components/history-panel.tsx';
import { Stage } from '../../../renderer/components/stage.tsx';
import { StoreProvider, type StudioStore } from '../../../renderer/store/store.ts';
import type { RunEntry } from '../../../renderer/lib/types.ts';
import { entry, FakeBackend, flush, loadedStore } from '../fixtures.ts';

let backend: FakeBackend;
let store: StudioStore;

beforeEach(async () => {
  backend = new FakeBackend();
  store = await loadedStore(backend);
});

afterEach(cleanup);

async function show(entries: RunEntry[], select = 'run1') {
  backend.entries = entries;
  await store.getState().loadHistory();
  store.getState().selectRun(select);
  render(
    <StoreProvider store={store}>
      <Stage />
      <HistoryPanel />
    </StoreProvider>,
  );
  await act(flush);
}

const main = () => screen.getByRole('main', { name: 'Run' });
const uncached = (e: RunEntry, steps = e.request.steps) => ({ ...e.request, steps, cache: { ...e.request.cache, enabled: false } });
// 10 forwards of 30 steps (the fixture's pattern).
const cached = entry('run1', { createdAt: '2026-01-01T00:00:00Z' });
const baseline = entry('run2', { baselineOf: 'run1', request: uncached(cached), stats: { hits: 0, misses: 30, forwards: 30 } });
const plain = entry('run3', { fewerStepsOf: 'run1', request: uncached(cached, 10), stats: { hits: 0, misses: 10, forwards: 10 } });

describe('the stage against fewer steps', () => {
  it('offers the run’s forwards as plain steps, and runs them on a click', async () => {
    await show([cached]);
    expect(within(main()).getByText(/Run 10 uncached steps, the 10 forwards this run computed, to see what the cache bought/)).toBeTruthy();
    fireEvent.click(within(main()).getByRole('button', { name: 'Same forwards as plain steps' }));
    await act(flush);
    expect(backend.last()).toMatchObject({ kind: 'fewer-steps', input: 'run1' });
    expect(within(main()).getByText('Same forwards as plain steps')).toBeTruthy();
  });

  it('says there is nothing to compare for a run that computed every step, and offers nothing', async () => {
    await show([entry('run1', { stats: { hits: 0, misses: 30, forwards: 30 } })]);
    expect(within(screen.getByRole('group', { name: 'Against fewer steps' })).getByText(/Every one of the 30 steps computed.*nothing to compare/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Same forwards as plain steps' })).toBeNull();
  });

  it('offers nothing against fewer steps for a run that was uncached already', async () => {
    await show([entry('run1', { request: uncached(cached), stats: { hits: 0, misses: 30, forwards: 30 } })]);
    expect(screen.queryByText('Against fewer steps')).toBeNull();
    expect(screen.getByRole('group', { name: 'Speedup' }).textContent).toContain('caching was off');
  });

  it('shows both PSNRs against the uncached reference side by side', async () => {
    backend.psnrs.set('run3:run2', 22);
    await show([{ ...cached, baseline: { id: 'run2', wallMs: 3000, speedup: 2.5, psnr: 31.2 }, fewerSteps: { id: 'run3', steps: 10, wallMs: 400 } }, baseline, plain]);
    expect(screen.getByTestId('fewer-steps-summary').textContent).toBe('Cache: 31.2 dB · 10 plain steps: 22.0 dB at the same 10 forwards (the cache is 9.2 dB closer to uncached)');
    expect(screen.getByRole('group', { name: 'Plain steps' }).textContent).toContain('22.0 dB');
    expect(screen.getByRole('group', { name: 'PSNR' }).textContent).toContain('31.2 dB');
    expect(backend.compareCalls).toContainEqual(['run3', 'run2']);
    expect(screen.queryByRole('button', { name: 'Same forwards as plain steps' })).toBeNull();
    // Both references sit under their run in the history.
    expect(within(screen.getByRole('list', { name: /^References of/ })).getAllByRole('listitem')).toHaveLength(2);
    expect(screen.getByText('10 plain steps')).toBeTruthy();
  });

  it('says the PSNRs need the uncached reference when there is none yet, and offers to make it', async () => {
    await show([{ ...cached, fewerSteps: { id: 'run3', steps: 10, wallMs: 400 } }, plain]);
    expect(screen.getByTestId('fewer-steps-summary').textContent).toMatch(/10 plain steps ran at the same 10 forwards\. Both PSNRs need the uncached reference/);
    expect(screen.getByRole('group', { name: 'Plain steps' }).textContent).toContain('needs the reference');
    fireEvent.click(screen.getByRole('button', { name: 'Run uncached reference' }));
    await act(flush);
    expect(backend.last()).toMatchObject({ kind: 'baseline', input: 'run1' });
    expect(backend.compareCalls).toEqual([]);
  });

  it('counts a First-Block Cache run’s probes in its ideal speedup, and says what it spent beside the plain steps', async () => {
    // 10 forwards and 20 reused steps that each ran the first block (a sixth of a forward): 13.33 forwards' cost.
    const firstBlock = entry('run1', { request: { ...cached.request, cache: { ...cached.request.cache, policy: 'first-block' } }, stats: { hits: 20, misses: 10, forwards: 10, forwardEquivalents: 10 + 20 / 6 } });
    await show([firstBlock]);
    const ideal = screen.getByRole('group', { name: 'Ideal speedup' });
    expect(ideal.textContent).toContain('2.25×');
    expect(ideal.textContent).toContain('30 steps / 13.33 forwards’ cost');
    expect(within(main()).getByText(/the 10 forwards this run computed.*Its 20 reused steps each ran the first block too: 13\.33 forwards’ cost in all, not 10\./)).toBeTruthy();
  });

  it('reads a First-Block Cache run measured faster than steps over its cost as timing noise, though not faster than steps over its forwards', async () => {
    const stats = { hits: 20, misses: 10, forwards: 10, forwardEquivalents: 10 + 20 / 6 };
    const firstBlock = entry('run1', { request: { ...cached.request, cache: { ...cached.request.cache, policy: 'first-block' } }, stats, baseline: { id: 'run2', wallMs: 3000, speedup: 2.5, psnr: 31.2 } });
    await show([firstBlock, baseline]);
    expect(screen.getByRole('group', { name: 'Speedup' }).textContent).toContain('above the ideal 2.25×: timing noise');
  });

  it('reads a run recorded before forward-equivalents were counted at its forwards', async () => {
    await show([cached]);
    expect(screen.getByRole('group', { name: 'Ideal speedup' }).textContent).toContain('30 steps / 10 forwards');
    expect(within(main()).queryByText(/reused steps each ran the first block/)).toBeNull();
  });

  it('leads a plain-steps run back to its cached run', async () => {
    await show([{ ...cached, fewerSteps: { id: 'run3', steps: 10, wallMs: 400 } }, plain], 'run3');
    expect(within(main()).getByText(/^10 plain steps ·/)).toBeTruthy();
    expect(screen.getByRole('group', { name: 'Speedup' }).textContent).toContain('plain steps, no cache');
    fireEvent.click(screen.getByRole('button', { name: 'Show cached run' }));
    await act(flush);
    expect(store.getState().selectedId).toBe('run1');
  });
});
