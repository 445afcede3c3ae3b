// Failures become {code, message, details} and a title and detail lines a person can act on.

import { describe, expect, it } from 'vitest';
import { StudioError } from '../../../main/core/contract.ts';
import { errorDetailLines, errorTitle, toAppError } from '../../../renderer/lib/errors.ts';

describe('errors', () => {
  it('keeps the contract’s code, message and details, whatever carried them', () => {
    const crossed = new StudioError('INVALID_PAYLOAD', 'Invalid generate input: request.steps: Too big', { what: 'generate input', issues: [{ path: 'request.steps', message: 'Too big: expected ≤500' }] });
    expect(toAppError(crossed)).toEqual({ code: 'INVALID_PAYLOAD', message: crossed.message, details: crossed.details });
    expect(toAppError({ code: 'CANCELLED', message: 'The generation was cancelled.' })).toEqual({ code: 'CANCELLED', message: 'The generation was cancelled.' });
    expect(toAppError(new TypeError('fetch failed'))).toEqual({ code: 'INTERNAL', message: 'fetch failed' });
    expect(toAppError('boom')).toEqual({ code: 'INTERNAL', message: 'boom' });
  });

  it('titles errors by code and lists specifics without stacks', () => {
    expect(errorTitle({ code: 'WORKER_CRASHED', message: 'x' })).toBe('The engine stopped unexpectedly');
    expect(errorTitle({ code: 'SOMETHING_NEW', message: 'x' })).toBe('Something went wrong');
    expect(errorDetailLines({ code: 'INVALID_PAYLOAD', message: 'x', details: { issues: [{ path: ['request', 'width'], message: 'Too small' }] } })).toEqual(['request.width: Too small']);
    expect(errorDetailLines({ code: 'BAD_REQUEST', message: 'x', details: { field: 'width', value: 30, stack: 'at …' } })).toEqual(['field: width', 'value: 30']);
    expect(errorDetailLines({ code: 'INTERNAL', message: 'x' })).toEqual([]);
  });
});
