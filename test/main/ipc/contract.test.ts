// The contract's error transport and the client wrapper: errors keep their code across a boundary, malformed
// payloads are refused with messages that name the field, and the typed API validates what comes back.

import { describe, expect, it, vi } from 'vitest';
import { EngineError } from '../../../main/engine/errors.ts';
import { createStudioApi } from '../../../main/ipc/client.ts';
import {
  EVENT_NAMES,
  parsePayload,
  REQUEST_NAMES,
  requests,
  StudioError,
  toErrorPayload,
  type StudioBridge,
} from '../../../main/ipc/contract.ts';

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
    expect(seen).toEqual([
      ['generate', { request: { prompt: 'a', seed: 1 } }],
      ['cancel', { jobId: 'job-1' }],
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
