// The contract's error transport and the client wrapper: errors keep their code across a boundary, malformed
// payloads are refused with messages that name the field, and the typed API validates what comes back.

import { describe, expect, it, vi } from 'vitest';
import { EngineError } from '../../../main/core/errors.ts';
import { createStudioApi } from '../../../main/transport/browser/client.ts';
import { calibrationResult } from '../../renderer/fixtures.ts';
import {
  EVENT_NAMES,
  events,
  parsePayload,
  REQUEST_NAMES,
  requests,
  StudioError,
  toErrorPayload,
  type StudioBridge,
} from '../../../main/core/contract.ts';

/** A bridge whose every request answers `answer` and whose event subscriptions are captured. */
function fakeBridge(answer: (name: string, input: unknown) => unknown) {
  const subscribers = new Map<string, (payload: unknown) => void>();
  const bridge = Object.fromEntries([
    ...REQUEST_NAMES.map((name) => [name, async (input: unknown) => answer(name, input)]),
    ...EVENT_NAMES.map((name) => {
      const key = `on${name[0]!.toUpperCase()}${name.slice(1)}`;
      return [key, (listener: (payload: unknown) => void) => (subscribers.set(key, listener), () => subscribers.delete(key))];
    }),
  ]) as StudioBridge;
  return { bridge, subscribers };
}

describe('error transport', () => {
  it('keeps the code, message and details of engine errors', () => {
    expect(toErrorPayload(new EngineError('BAD_REQUEST', 'width 7 does not suit', { field: 'width' }))).toEqual({
      code: 'BAD_REQUEST',
      message: 'width 7 does not suit',
      details: { field: 'width' },
    });
  });

  it('turns anything else into INTERNAL with its message', () => {
    expect(toErrorPayload(new TypeError('boom'))).toEqual({ code: 'INTERNAL', message: 'boom' });
    expect(toErrorPayload('plain')).toEqual({ code: 'INTERNAL', message: 'plain' });
  });

  it('round-trips a StudioError through its payload', () => {
    const error = StudioError.fromPayload(new StudioError('NOT_FOUND', 'gone', { id: 'a' }).toPayload());
    expect(error).toBeInstanceOf(StudioError);
    expect([error.code, error.message, error.details]).toEqual(['NOT_FOUND', 'gone', { id: 'a' }]);
  });
});

describe('parsePayload', () => {
  it('names every wrong field in one INVALID_PAYLOAD error', () => {
    let caught: unknown;
    try {
      parsePayload(requests.generate.input, { request: { prompt: 3, seed: -1 } }, 'generate input');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StudioError);
    const error = caught as StudioError;
    expect(error.code).toBe('INVALID_PAYLOAD');
    expect(error.message).toMatch(/^Invalid generate input: /);
    expect(error.message).toMatch(/request\.prompt: .*string/);
    expect(error.message).toMatch(/request\.seed: /);
    expect(error.details).toMatchObject({ what: 'generate input', issues: expect.arrayContaining([expect.objectContaining({ path: 'request.prompt' })]) });
  });

  it('refuses unknown fields in request inputs, so a typo is not silently ignored', () => {
    expect(() => parsePayload(requests.cancel.input, { jobId: 'a', jobid: 'b' }, 'cancel input')).toThrow(/jobid|Unrecognized/);
  });

  it('refuses ids that could name a path', () => {
    expect(() => parsePayload(requests.getImage.input, { id: '../../etc/passwd' }, 'getImage input')).toThrow(/id/);
  });
});

describe('the calibrate request', () => {
  const parse = (input: unknown) => parsePayload(requests.calibrate.input, input, 'calibrate input');
  const refusal = (input: unknown): StudioError => {
    try {
      parse(input);
    } catch (error) {
      expect(error).toBeInstanceOf(StudioError);
      expect((error as StudioError).code).toBe('INVALID_PAYLOAD');
      return error as StudioError;
    }
    throw new Error(`expected ${JSON.stringify(input)} to be refused`);
  };

  it('takes nothing (the engine’s defaults) or prompts, seeds and steps, trimming the prompts', () => {
    expect(parse({})).toEqual({});
    expect(parse({ prompts: ['  red apple ', 'blue fish'], seeds: [1, 2], steps: 6 })).toEqual({ prompts: ['red apple', 'blue fish'], seeds: [1, 2], steps: 6 });
    expect(parse({ prompts: ['red apple', 'blue fish'], steps: 11 })).toEqual({ prompts: ['red apple', 'blue fish'], steps: 11 });
    expect(parse({ steps: 5 })).toEqual({ steps: 5 });
  });

  it('refuses malformed payloads, naming the field and what to do', () => {
    expect(refusal({ prompts: [] }).message).toMatch(/prompts: give at least one prompt/);
    expect(refusal({ prompts: ['ok', '   '] }).message).toMatch(/prompts\.1: a calibration prompt cannot be empty/);
    expect(refusal({ prompts: 'red apple' }).message).toMatch(/prompts: /);
    expect(refusal({ prompts: ['x'.repeat(2001)] }).message).toMatch(/at most 2000 characters/);
    expect(refusal({ prompts: Array.from({ length: 65 }, (_, i) => `p${i}`) }).message).toMatch(/at most 64 prompts/);
    expect(refusal({ seeds: [1.5] }).message).toMatch(/seeds\.0/);
    expect(refusal({ seeds: [-1] }).message).toMatch(/seeds\.0/);
    expect(refusal({ steps: 1 }).message).toMatch(/steps: a run needs at least 2 steps/);
    expect(refusal({ steps: 10_000 }).message).toMatch(/at most 200 steps/);
    expect(refusal({ degree: 9 }).message).toMatch(/degree|Unrecognized/);
  });

  it('refuses more runs than allowed and too few step pairs for the fit', () => {
    expect(refusal({ prompts: Array.from({ length: 40 }, (_, i) => `p${i}`), seeds: [1, 2] }).message).toMatch(/80 runs \(prompts × seeds\) is more than 64/);
    // One pair per coefficient would be fitted exactly, reporting no error: four per coefficient are asked for.
    expect(refusal({ prompts: ['red apple'], steps: 6 }).message).toMatch(/steps: 1 run\(s\) of 6 steps give 5 step pairs, but a degree-4 fit needs 20/);
    expect(parse({ prompts: ['red apple'], steps: 21 })).toEqual({ prompts: ['red apple'], steps: 21 });
  });

  it('checks calibration events: progress within bounds, results with finite coefficients', () => {
    const progress = { jobId: 'c1', run: 1, runs: 2, prompt: 'red apple', seed: 1, step: 3, steps: 6 };
    expect(events.calibrationProgress.safeParse(progress).success).toBe(true);
    expect(events.calibrationProgress.safeParse({ ...progress, run: 0 }).success).toBe(false);
    const result = calibrationResult();
    expect(events.calibrationDone.safeParse({ jobId: 'c1', result }).success).toBe(true);
    expect(events.calibrationDone.safeParse({ jobId: 'c1', result: { ...result, coefficients: [1, Number.NaN] } }).success).toBe(false);
    expect(events.calibrationFailed.safeParse({ jobId: 'c1', error: { code: 'CANCELLED', message: 'stopped' } }).success).toBe(true);
  });
});

describe('createStudioApi', () => {
  it('returns validated values and sends inputs in the contract shape', async () => {
    const seen: [string, unknown][] = [];
    const { bridge } = fakeBridge((name, input) => {
      seen.push([name, input]);
      return { ok: true, value: name === 'cancel' ? { cancelled: true } : { jobId: 'job-1' } };
    });
    const api = createStudioApi(bridge);
    expect(await api.generate({ prompt: 'a', seed: 1 })).toEqual({ jobId: 'job-1' });
    expect(await api.cancel('job-1')).toEqual({ cancelled: true });
    expect(await api.calibrate({ prompts: ['red apple'], steps: 6 })).toEqual({ jobId: 'job-1' });
    expect(await api.calibrate()).toEqual({ jobId: 'job-1' });
    expect(seen).toEqual([
      ['generate', { request: { prompt: 'a', seed: 1 } }],
      ['cancel', { jobId: 'job-1' }],
      ['calibrate', { prompts: ['red apple'], steps: 6 }],
      ['calibrate', {}],
    ]);
  });

  it('throws one StudioError class for error envelopes, and for responses that break the contract', async () => {
    const { bridge } = fakeBridge((name) =>
      name === 'getImage' ? { ok: false, error: { code: 'NOT_FOUND', message: 'There is no run x.' } } : { ok: true, value: { jobId: 42 } },
    );
    const api = createStudioApi(bridge);
    await expect(api.getImage('x')).rejects.toMatchObject({ name: 'StudioError', code: 'NOT_FOUND', message: 'There is no run x.' });
    await expect(api.generate({ prompt: 'a', seed: 1 })).rejects.toMatchObject({ code: 'INVALID_PAYLOAD', message: expect.stringMatching(/generate response: jobId/) });
  });

  it('delivers valid events and drops malformed ones', () => {
    const { bridge, subscribers } = fakeBridge(() => ({ ok: true, value: {} }));
    const api = createStudioApi(bridge);
    const received: unknown[] = [];
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const unsubscribe = api.onJobFailed((payload) => received.push(payload));
    const emit = subscribers.get('onJobFailed')!;
    emit({ jobId: 'j', error: { code: 'CANCELLED', message: 'stopped' } });
    emit({ jobId: 'j', error: { code: 'NO_SUCH_CODE', message: 'x' } });
    expect(received).toEqual([{ jobId: 'j', error: { code: 'CANCELLED', message: 'stopped' } }]);
    expect(errors).toHaveBeenCalledTimes(1);
    unsubscribe();
    expect(subscribers.has('onJobFailed')).toBe(false);
    errors.mockRestore();
  });
});
