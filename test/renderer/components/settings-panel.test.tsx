// @vitest-environment jsdom
// The settings sidebar in jsdom: sliders show their values, predictions follow them, reset and Generate/Cancel work.
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SettingsPanel } from '../../../renderer/components/settings-panel.tsx';
import { createStudioStore, StoreProvider, type StudioStore } from '../../../renderer/store/store.ts';
import { FakeBackend, flush, MODEL } from '../fixtures.ts';
import type { ModelSummary } from '../../../renderer/lib/types.ts';
import { Z_IMAGE_DEFAULTS } from '../../../main/engine/models/z-image/z-image-model.ts';
import { FLUX1_DEFAULTS } from '../../../main/engine/models/flux1/flux1-model.ts';
import { KLEIN_DEFAULTS } from '../../../main/engine/models/flux2-klein/klein-model.ts';

let backend: FakeBackend;
let store: StudioStore;

function renderPanel(model: ModelSummary = MODEL) {
  const view = () => (
    <StoreProvider store={store}>
      <SettingsPanel model={model} draft={store.getState().draft!} />
    </StoreProvider>
  );
  const result = render(view());
  // The panel takes the draft as a prop, as App passes it; re-render on every store change.
  store.subscribe(() => result.rerender(view()));
  return result;
}

/** The panel as the app shows it for another model: its draft filled from that model's defaults. */
async function renderModel(model: ModelSummary) {
  backend.modelResult = model;
  store = createStudioStore(backend);
  await store.getState().loadModel();
  return renderPanel(model);
}

const summary = (name: string, defaults: ModelSummary['defaults']): ModelSummary => ({ ...MODEL, info: { ...MODEL.info, name, sizeMultiple: 16, maxSize: 2048 }, defaults });
const skipWarning = () => within(nextRun()).queryByRole('note');

const nextRun = () => screen.getByRole('region', { name: 'Next run, as predicted' });
const predictedSpeedup = () => within(nextRun()).getByTestId('predicted-speedup').textContent!.replace('Predicted speedup ', '');
const predictedCells = (decision: 'hit' | 'miss') => nextRun().querySelectorAll(`[data-predicted="${decision}"]`).length;

beforeEach(async () => {
  backend = new FakeBackend();
  store = createStudioStore(backend);
  await store.getState().loadModel();
});

afterEach(cleanup);

describe('SettingsPanel', () => {
  it("says under Guidance which applies: FLUX.1-schnell's scale is ignored unless true CFG is asked for (issue 12, item 9)", () => {
    const schnell = { ...MODEL, info: { ...MODEL.info, name: 'FLUX.1 [schnell]', guidanceEmbedded: false }, defaults: { ...MODEL.defaults, guidanceRule: 'above-one-with-negative' as const } };
    const draft = store.getState().draft!;
    const panel = (guidanceScale: number, negativePrompt: string) => (
      <StoreProvider store={store}>
        <SettingsPanel model={schnell} draft={{ ...draft, guidanceScale, negativePrompt }} />
      </StoreProvider>
    );
    const { rerender } = render(panel(0, ''));
    expect(screen.getByText(/Guidance is ignored by this model, as in diffusers/)).toBeTruthy();
    rerender(panel(4, 'a dog'));
    expect(screen.getByText(/^True CFG at 4/)).toBeTruthy();
  });

  it('gives the Guidance slider each rule its range, state and hint', async () => {
    const guidance = () => screen.getByRole('slider', { name: 'Guidance' }) as HTMLInputElement;
    const hint = () => guidance().closest('.field')!.querySelector('.field-hint')!.textContent;

    // The built-in model: CFG at any scale but 1, from 1 up.
    renderPanel();
    expect([guidance().min, guidance().disabled, hint()]).toEqual(['1', false, 'True CFG at 4: the prompt and the empty negative prompt run together.']);
    fireEvent.change(guidance(), { target: { value: '1' } });
    expect(hint()).toBe('Scale 1 turns guidance off.');
    cleanup();

    // Z-Image: from 0 (off, Turbo's default); above 0 true CFG.
    await renderModel(summary('Z-Image-Turbo', Z_IMAGE_DEFAULTS.turbo));
    expect([guidance().min, guidance().value, guidance().disabled]).toEqual(['0', '0', false]);
    expect(hint()).toMatch(/^Scale 0 turns guidance off; above 0 runs true CFG against the negative prompt/);
    fireEvent.change(guidance(), { target: { value: '2.5' } });
    expect(hint()).toBe('True CFG at 2.5: the prompt and the empty negative prompt run together.');
    cleanup();

    // Distilled FLUX.2 klein: its pipeline ignores guidance, so the slider is off and says why.
    await renderModel(summary('FLUX.2 [klein] 4B', KLEIN_DEFAULTS.distilled));
    expect([guidance().min, guidance().disabled]).toEqual(['1', true]);
    expect(hint()).toBe('This step-distilled model ignores guidance, as in diffusers: one forward per step.');
    cleanup();

    // klein Base: CFG only above 1, against the negative prompt or "".
    await renderModel(summary('FLUX.2 [klein] Base 4B', KLEIN_DEFAULTS.base));
    expect([guidance().min, guidance().disabled, hint()]).toEqual(['1', false, 'True CFG at 4: the prompt and the empty negative prompt run together.']);
    fireEvent.change(guidance(), { target: { value: '1' } });
    expect(hint()).toBe('Guidance at 1 or below is off; above 1 runs true CFG against the negative prompt (the empty prompt when none is given).');
  });

  it('warns before the run when few steps leave the setting little to skip, and stops once more steps do', () => {
    renderPanel();
    expect(skipWarning()).toBeNull();
    fireEvent.change(screen.getByRole('slider', { name: 'Threshold' }), { target: { value: '0.05' } });
    expect(skipWarning()).toBeNull();
    fireEvent.change(screen.getByRole('slider', { name: 'Steps' }), { target: { value: '4' } });
    // CFG forces the first 3 of the 4 steps; the last reuses at most once.
    expect(skipWarning()?.textContent).toMatch(/^This 4-step run reuses (none|only 1) of its 4 steps, so TeaCache cannot speed it up much; move the Threshold slider/);
    fireEvent.change(screen.getByRole('slider', { name: 'Steps' }), { target: { value: '30' } });
    expect(skipWarning()).toBeNull();
  });

  it("warns on Z-Image-Turbo's 9 steps at a low threshold but not at ollama's 0.15, and on FLUX.1 schnell's 4 at its own default", async () => {
    await renderModel(summary('Z-Image-Turbo', Z_IMAGE_DEFAULTS.turbo));
    expect(predictedCells('hit')).toBe(4);
    expect(skipWarning()).toBeNull();
    fireEvent.change(screen.getByRole('slider', { name: 'Threshold' }), { target: { value: '0.03' } });
    expect(skipWarning()?.textContent).toBe('This 9-step run reuses none of its 9 steps, so TeaCache cannot speed it up much; move the Threshold slider toward “more reuses” to skip more.');
    // Forcing every step leaves no threshold anything to reuse: the note says so instead.
    fireEvent.change(screen.getByRole('slider', { name: 'Skip-early steps' }), { target: { value: '9' } });
    expect(skipWarning()?.textContent).toMatch(/no threshold skips more: .*more Steps would\.$/);
    cleanup();

    await renderModel(summary('FLUX.1 [schnell]', FLUX1_DEFAULTS.schnell));
    expect(skipWarning()?.textContent).toMatch(/^This 4-step run reuses none of its 4 steps/);
    fireEvent.change(screen.getByRole('slider', { name: 'Threshold' }), { target: { value: '0.3' } });
    expect(skipWarning()).toBeNull();
  });

  it('shows the current slider values and re-predicts as the threshold moves', () => {
    renderPanel();
    const threshold = screen.getByRole('slider', { name: 'Threshold' });
    expect(threshold).toHaveProperty('value', '0.1');
    expect(threshold.getAttribute('aria-valuetext')).toBe('0.1');
    const before = predictedCells('hit');

    fireEvent.change(threshold, { target: { value: '0.15' } });
    expect(screen.getByRole('slider', { name: 'Threshold' }).getAttribute('aria-valuetext')).toBe('0.15');
    expect(predictedCells('hit')).toBe(18);
    expect(predictedCells('miss')).toBe(12);
    expect(predictedSpeedup()).toBe('2.50×');
    expect(predictedCells('hit')).toBeGreaterThanOrEqual(before);
  });

  it('labels skip-early as the engine resolves it and resets every cache setting', () => {
    renderPanel();
    expect(screen.getByRole('slider', { name: 'Skip-early steps' }).getAttribute('aria-valuetext')).toBe('3 · auto');
    const reset = screen.getByRole('button', { name: /Reset to defaults/ });
    expect(reset).toHaveProperty('disabled', true);

    fireEvent.change(screen.getByRole('slider', { name: 'Rescale' }), { target: { value: '2' } });
    fireEvent.change(screen.getByRole('slider', { name: 'Skip-early steps' }), { target: { value: '6' } });
    expect(screen.getByRole('slider', { name: 'Skip-early steps' }).getAttribute('aria-valuetext')).toBe('6');
    expect(screen.getByRole('button', { name: /Reset to defaults/ })).toHaveProperty('disabled', false);

    fireEvent.click(screen.getByRole('button', { name: /Reset to defaults/ }));
    expect(screen.getByRole('slider', { name: 'Rescale' })).toHaveProperty('value', '1');
    expect(screen.getByRole('slider', { name: 'Skip-early steps' }).getAttribute('aria-valuetext')).toBe('3 · auto');
  });

  it('predicts every step computed when caching is switched off', () => {
    renderPanel();
    fireEvent.click(screen.getByRole('switch', { name: 'Step caching' }));
    expect(screen.getByRole('switch', { name: 'Step caching' }).getAttribute('aria-checked')).toBe('false');
    expect(predictedCells('miss')).toBe(30);
    expect(screen.getByRole('slider', { name: 'Threshold' })).toHaveProperty('disabled', true);
  });

  it('explains why TeaCache cannot be predicted before a run', () => {
    renderPanel();
    fireEvent.change(screen.getByRole('combobox', { name: 'Policy' }), { target: { value: 'teacache' } });
    expect(screen.getByText(/generate once with these steps/)).toBeTruthy();
    expect(screen.getByRole('slider', { name: 'Threshold' }).getAttribute('aria-valuetext')).toBe('0.4');
  });

  it("shows a calibrated model's fine teacache default as it is, not rounded to hundredths", () => {
    store.setState({ model: { ...MODEL, defaults: { ...MODEL.defaults, teacache: { ...MODEL.defaults.teacache, signalThreshold: 0.095 } } } });
    renderPanel();
    fireEvent.change(screen.getByRole('combobox', { name: 'Policy' }), { target: { value: 'teacache' } });
    expect(screen.getByRole('slider', { name: 'Threshold' }).getAttribute('aria-valuetext')).toBe('0.095');
  });

  it("offers the teacache policy's accumulation, and only for that policy", () => {
    renderPanel();
    expect(screen.queryByLabelText('Adds up')).toBeNull();
    fireEvent.change(screen.getByLabelText('Policy'), { target: { value: 'teacache' } });
    const accumulate = screen.getByLabelText('Adds up');
    expect(accumulate).toHaveProperty('value', 'consecutive');
    fireEvent.change(accumulate, { target: { value: 'since-compute' } });
    expect(store.getState().draft!.cache.accumulate).toBe('since-compute');
  });

  it('aims for a speed: sets the threshold the prediction then shows reaching it, or says why it cannot', () => {
    renderPanel();
    fireEvent.click(within(screen.getByRole('group', { name: 'Set threshold for a speed' })).getByRole('button', { name: '3×' }));
    const threshold = store.getState().draft!.cache.threshold;
    expect(threshold).toBeGreaterThan(0.1);
    expect(Number.parseFloat(predictedSpeedup())).toBeGreaterThanOrEqual(3);
    // The one-off action says what it chose, and that the prediction lands above the speed asked when it does.
    const note = screen.getByText(/^Threshold set to /).textContent!;
    expect(note).toContain(`Threshold set to ${Number(threshold.toPrecision(3))}: predicted ${predictedSpeedup()}`);
    expect(/more than the 3× asked/.test(note)).toBe(Number.parseFloat(predictedSpeedup()) > 3 * 1.02);
    // Moving the slider by hand retires the note: it no longer describes the settings.
    fireEvent.change(screen.getByRole('slider', { name: 'Threshold' }), { target: { value: '0.05' } });
    expect(screen.queryByText(/^Threshold set to /)).toBeNull();

    fireEvent.change(screen.getByRole('combobox', { name: 'Policy' }), { target: { value: 'teacache' } });
    fireEvent.click(within(screen.getByRole('group', { name: 'Set threshold for a speed' })).getByRole('button', { name: '2×' }));
    expect(screen.getByText(/Generate once with these steps: TeaCache’s threshold/)).toBeTruthy();
  });

  it('says when the threshold it picks overshoots the speed asked (100 steps, 2×)', () => {
    renderPanel();
    store.getState().setDraft({ steps: 100 });
    fireEvent.click(within(screen.getByRole('group', { name: 'Set threshold for a speed' })).getByRole('button', { name: '2×' }));
    expect(Number.parseFloat(predictedSpeedup())).toBeGreaterThan(2 * 1.02);
    expect(screen.getByText(/^Threshold set to /).textContent).toMatch(/predicted \d\.\d\d×, more than the 2× asked: no threshold gives a speed in between/);
  });

  it('randomizes the seed and turns Generate into Cancel while a run is active', async () => {
    renderPanel();
    const seed = screen.getByRole('spinbutton', { name: 'Seed' }) as HTMLInputElement;
    const first = seed.value;
    fireEvent.click(screen.getByRole('button', { name: 'Randomize seed' }));
    expect(seed.value).not.toBe(first);

    fireEvent.click(screen.getByRole('button', { name: 'Generate' }));
    await flush();
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await flush();
    expect(backend.cancelled).toEqual([backend.last().jobId]);
  });

  it('shows the engine’s own error for a size the model cannot make and blocks Generate', () => {
    renderPanel();
    store.getState().setDraft({ width: 30, height: 30 });
    expect(screen.getByRole('alert').textContent).toMatch(/width 30 .*multiple of 4/);
    expect(screen.getByRole('button', { name: 'Generate' })).toHaveProperty('disabled', true);
  });
});
