// @vitest-environment jsdom
// The calibration block in jsdom: the form checks itself with the contract's rules, Calibrate sends the prompts
// and steps, progress reads "Run i of n" with Cancel, and the finished fit shows R², errors beside FLUX.1's and
// that the teacache policy now uses it.
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CALIBRATION_PROMPTS } from '../../../main/core/teacache/default-prompts.ts';
import { CalibrationSection } from '../../../renderer/components/calibration-section.tsx';
import { bootStudio, createStudioStore, StoreProvider, type StudioStore } from '../../../renderer/store/store.ts';
import { calibrationResult, FakeBackend, flush } from '../fixtures.ts';

let backend: FakeBackend;
let store: StudioStore;
let stop: () => void;

function renderSection() {
  const view = () => (
    <StoreProvider store={store}>
      <CalibrationSection model={store.getState().model!} />
    </StoreProvider>
  );
  const result = render(view());
  store.subscribe(() => result.rerender(view()));
  return result;
}

beforeEach(async () => {
  backend = new FakeBackend();
  store = createStudioStore(backend);
  stop = bootStudio(store, backend);
  await flush();
});
afterEach(() => {
  stop();
  cleanup();
});

describe('CalibrationSection', () => {
  it('says which polynomial is in use and offers the default prompts at the model’s steps', () => {
    renderSection();
    expect(screen.getByLabelText('Polynomial in use').textContent).toMatch(/FLUX\.1’s published polynomial/);
    expect((screen.getByRole('textbox', { name: 'Calibration prompts' }) as HTMLTextAreaElement).value).toBe(DEFAULT_CALIBRATION_PROMPTS.join('\n'));
    expect(screen.getByRole('slider', { name: 'Calibration steps' }).getAttribute('aria-valuetext')).toBe('30');
    expect(screen.getByText(/6 runs of 30 steps/)).toBeTruthy();
  });

  it('refuses a form the fit cannot use, saying why', () => {
    renderSection();
    const prompts = screen.getByRole('textbox', { name: 'Calibration prompts' });
    fireEvent.change(prompts, { target: { value: '  \n ' } });
    expect(screen.getByRole('alert').textContent).toMatch(/at least one prompt/);
    expect(screen.getByRole('button', { name: 'Calibrate for this model' })).toHaveProperty('disabled', true);
    fireEvent.change(prompts, { target: { value: 'red apple' } });
    fireEvent.change(screen.getByRole('slider', { name: 'Calibration steps' }), { target: { value: '20' } });
    expect(screen.getByRole('alert').textContent).toMatch(/19 step pairs, but a degree-4 fit needs 20/);
    fireEvent.change(screen.getByRole('slider', { name: 'Calibration steps' }), { target: { value: '21' } });
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByRole('button', { name: 'Calibrate for this model' })).toHaveProperty('disabled', false);
  });

  it('calibrates, shows run i of n with Cancel, then the fit and that the teacache policy uses it', async () => {
    renderSection();
    fireEvent.change(screen.getByRole('textbox', { name: 'Calibration prompts' }), { target: { value: 'red apple\n\n blue fish ' } });
    fireEvent.change(screen.getByRole('slider', { name: 'Calibration steps' }), { target: { value: '11' } });
    fireEvent.click(screen.getByRole('button', { name: 'Calibrate for this model' }));
    await flush();
    expect(backend.calibrations).toEqual([{ prompts: ['red apple', 'blue fish'], steps: 11 }]);
    expect(screen.getByText('Waiting for the engine…')).toBeTruthy();

    backend.emitCalibration({ type: 'calibrationProgress', jobId: 'cal-1', run: 2, runs: 2, prompt: 'blue fish', seed: 1, step: 3, steps: 6 });
    const bar = screen.getByRole('progressbar', { name: 'Calibration progress' });
    expect(bar.getAttribute('aria-valuetext')).toBe('Run 2 of 2');
    expect([bar.getAttribute('aria-valuenow'), bar.getAttribute('aria-valuemax')]).toEqual(['9', '12']);
    expect(screen.getByText(/“blue fish” · seed 1 · step 3 of 6/)).toBeTruthy();
    expect(screen.getByRole('textbox', { name: 'Calibration prompts' })).toHaveProperty('disabled', true);

    const result = calibrationResult([3, 2, 1, 0.5, 0.25]);
    backend.emitCalibration({ type: 'calibrationDone', jobId: 'cal-1', result });
    const fit = within(screen.getByRole('group', { name: 'Calibration fit' }));
    expect(fit.getByText('R²').nextElementSibling?.textContent).toBe('0.940');
    expect(fit.getByText('Relative error').nextElementSibling?.textContent).toBe('12%');
    expect(fit.getByText('FLUX.1’s polynomial').nextElementSibling?.textContent).toBe('84%');
    expect(fit.getByRole('status').textContent).toMatch(/The teacache policy now uses this polynomial/);
    expect(fit.getByText(/Saved in the app’s data folder/).textContent).toContain(result.file);
    expect(screen.getByLabelText('Polynomial in use').textContent).toMatch(/this model’s own calibration \(R² 0\.940, 12% error\)/);

    fit.getByRole('button', { name: 'Switch to it' }).click();
    expect(store.getState().draft?.cache.policy).toBe('teacache');
    expect(within(screen.getByRole('group', { name: 'Calibration fit' })).queryByRole('button', { name: 'Switch to it' })).toBeNull();
  });

  it('cancels from its own Cancel button and says the earlier polynomial stays', async () => {
    renderSection();
    fireEvent.click(screen.getByRole('button', { name: 'Calibrate for this model' }));
    await flush();
    backend.emitCalibration({ type: 'calibrationProgress', jobId: 'cal-1', run: 1, runs: 6, prompt: 'red apple', seed: 1, step: 1, steps: 30 });
    fireEvent.click(screen.getByRole('button', { name: /Cancel calibration/ }));
    await flush();
    expect(backend.cancelled).toEqual(['cal-1']);
    expect(screen.getByRole('button', { name: /Cancelling…/ })).toHaveProperty('disabled', true);
    backend.emitCalibration({ type: 'calibrationFailed', jobId: 'cal-1', error: { code: 'CANCELLED', message: 'The calibration was cancelled.' } });
    expect(screen.getByText(/Calibration cancelled; the earlier polynomial stays in force/).getAttribute('role')).toBe('status');
    expect(screen.getByRole('button', { name: 'Calibrate for this model' })).toBeTruthy();
  });
});
