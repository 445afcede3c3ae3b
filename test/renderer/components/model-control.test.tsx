// @vitest-environment jsdom
// The toolbar's Model control in jsdom: web mode types a path, a refused folder lists its problems file by file,
// a fallback note shows unasked, and the desktop app opens the native picker instead of a path field.
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ModelControl } from '../../../renderer/components/model-control.tsx';
import { createStudioStore, StoreProvider, type StudioStore } from '../../../renderer/store/store.ts';
import { FakeBackend, flush } from '../fixtures.ts';

afterEach(cleanup);

function renderControl(store: StudioStore) {
  return render(
    <StoreProvider store={store}>
      <ModelControl />
    </StoreProvider>,
  );
}

describe('ModelControl', () => {
  it('opens a typed folder and lists each problem of a refused one', async () => {
    const backend = new FakeBackend();
    backend.refusals.set('/models/broken', [
      { path: '/models/broken/vae/diffusion_pytorch_model.safetensors', message: 'missing: the autoencoder weights' },
      { path: '/models/broken/tokenizer_2/spiece.model', message: 'missing: the T5 tokenizer' },
    ]);
    const store = createStudioStore(backend);
    await store.getState().loadModelSource();
    renderControl(store);
    expect(screen.queryByRole('region', { name: 'Model' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Model' }));
    expect(screen.getByText('Built-in model')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Open folder…' })).toBeNull();
    fireEvent.change(screen.getByLabelText('Model folder path'), { target: { value: ' /models/broken ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Open folder' }));
    await flush();
    expect(backend.folderCalls).toEqual(['/models/broken']);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('/models/broken/vae/diffusion_pytorch_model.safetensors: missing: the autoencoder weights');
    expect(alert.textContent).toContain('/models/broken/tokenizer_2/spiece.model: missing: the T5 tokenizer');
    expect(alert.textContent).toContain('the current model stays loaded');
  });

  it('shows the fallback note without being opened', async () => {
    const backend = new FakeBackend();
    backend.source = { kind: 'builtin', dir: null, note: 'The remembered model folder /gone cannot be used (/gone: does not exist). Using the built-in model.' };
    const store = createStudioStore(backend);
    await store.getState().loadModelSource();
    renderControl(store);
    expect(screen.getByRole('status').textContent).toContain('/gone: does not exist');
  });

  it('uses the native picker in the desktop app and can go back to the built-in model', async () => {
    const backend = new FakeBackend();
    const picked: string[] = [];
    Object.assign(backend, {
      pickModelFolder: async () => {
        picked.push('asked');
        return '/models/schnell';
      },
    });
    const store = createStudioStore(backend);
    await store.getState().loadModelSource();
    renderControl(store);
    fireEvent.click(screen.getByRole('button', { name: 'Model' }));
    expect(screen.queryByLabelText('Model folder path')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Open folder…' }));
    await flush();
    await flush();
    expect(picked).toEqual(['asked']);
    expect(backend.folderCalls).toEqual(['/models/schnell']);
    expect(screen.getByText('/models/schnell')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Use the built-in model' }));
    await flush();
    expect(backend.folderCalls).toEqual(['/models/schnell', null]);
  });
});
