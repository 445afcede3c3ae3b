// @vitest-environment jsdom
// The history sidebar in jsdom: a long history loads one page of runs (and so one page of thumbnails), with
// "Show older runs" for the rest; changes from the host are applied without fetching the history again.
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { HistoryPanel } from '../../../renderer/components/history-panel.tsx';
import { bootStudio, createStudioStore, StoreProvider } from '../../../renderer/store/store.ts';
import { entry, FakeBackend, flush } from '../fixtures.ts';

afterEach(cleanup);

class CountingBackend extends FakeBackend {
  imageCalls: string[] = [];
  override async image(id: string) {
    this.imageCalls.push(id);
    return super.image(id);
  }
}

describe('HistoryPanel', () => {
  it('fetches one page of thumbnails at load however long the history, and the next on "Show older runs"', async () => {
    const backend = new CountingBackend();
    backend.entries = Array.from({ length: 624 }, (_, i) => entry(`run${i + 1}`));
    backend.pageSize = 50;
    const store = createStudioStore(backend);
    const stop = bootStudio(store, backend);
    render(
      <StoreProvider store={store}>
        <HistoryPanel />
      </StoreProvider>,
    );
    await act(flush);
    expect(screen.getAllByRole('listitem').filter((item) => item.dataset.runId)).toHaveLength(50);
    expect(backend.imageCalls).toHaveLength(50);
    expect(backend.historyCalls).toEqual([undefined]);
    expect(document.querySelector('[data-run-id="run624"]')).not.toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Show older runs' }));
    await act(flush);
    expect(backend.imageCalls).toHaveLength(100);
    expect(backend.historyCalls).toEqual([undefined, 'run575']);

    // A new run from another window arrives as a delta: one more thumbnail, no history download.
    act(() => backend.emitHistoryChanged({ added: [entry('run999')], updated: [], removed: ['run624'] }));
    await act(flush);
    expect(backend.historyCalls).toHaveLength(2);
    expect(backend.imageCalls.filter((id) => id === 'run999')).toHaveLength(1);
    expect(document.querySelector('[data-run-id="run624"]')).toBeNull();
    expect(document.querySelector('[data-run-id="run999"]')).not.toBeNull();
    expect(backend.imageCalls).toHaveLength(101);
    stop();
  });
});
