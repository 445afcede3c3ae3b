// createStudioApi with a fake bridge, for the model-folder additions: the native picker is offered only when the
// bridge has it, its answer is checked, its errors arrive as StudioError, and setModelFolder's reply is validated.

import { describe, expect, it } from 'vitest';
import { createStudioApi } from '../../../../main/transport/browser/client.ts';
import { StudioError, type Envelope, type StudioBridge } from '../../../../main/core/contract.ts';

function bridge(replies: Record<string, Envelope<unknown>>, extra: Partial<StudioBridge> = {}): StudioBridge {
  return new Proxy(extra as Record<string, unknown>, {
    // Every request and event name answers; the picker and the saver exist only when given, as in web mode.
    get: (target, key: string) =>
      key in target || key === 'pickModelFolder' || key === 'saveImage' ? target[key] : async () => replies[key] ?? { ok: false, error: { code: 'INTERNAL', message: `no reply for ${key}` } },
  }) as unknown as StudioBridge;
}

describe('createStudioApi model folders', () => {
  it('has no picker without the desktop bridge’s', () => {
    expect(createStudioApi(bridge({})).pickModelFolder).toBeUndefined();
  });

  it('returns the picked folder or null, and refuses anything else', async () => {
    let value: unknown = '/models/schnell';
    const api = createStudioApi(bridge({}, { pickModelFolder: async () => ({ ok: true, value }) }));
    expect(await api.pickModelFolder!()).toBe('/models/schnell');
    value = null;
    expect(await api.pickModelFolder!()).toBeNull();
    value = 42;
    await expect(api.pickModelFolder!()).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
  });

  it('throws the picker’s error as a StudioError', async () => {
    const api = createStudioApi(bridge({}, { pickModelFolder: async () => ({ ok: false, error: { code: 'FORBIDDEN', message: 'not our window' } }) }));
    const error = await api.pickModelFolder!().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StudioError);
    expect(error).toMatchObject({ code: 'FORBIDDEN', message: 'not our window' });
  });

  it('validates setModelFolder’s reply against the contract', async () => {
    const refused = { accepted: false, problems: [{ path: '/m/vae', message: 'missing' }], source: { kind: 'builtin', dir: null, note: null } };
    expect(await createStudioApi(bridge({ setModelFolder: { ok: true, value: refused } })).setModelFolder('/m')).toEqual(refused);
    await expect(createStudioApi(bridge({ setModelFolder: { ok: true, value: { accepted: 'yes' } } })).setModelFolder('/m')).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
  });
});

describe('createStudioApi saving an image', () => {
  it('has no native save without the desktop bridge’s', () => {
    expect(createStudioApi(bridge({})).saveImage).toBeUndefined();
  });

  it('returns the saved path or null, and refuses anything else', async () => {
    let value: unknown = '/home/me/heart.png';
    const sent: unknown[] = [];
    const api = createStudioApi(bridge({}, { saveImage: async (input: unknown) => (sent.push(input), { ok: true, value }) }));
    expect(await api.saveImage!({ id: 'run-1', fileName: 'heart.png' })).toBe('/home/me/heart.png');
    expect(sent).toEqual([{ id: 'run-1', fileName: 'heart.png' }]);
    value = null;
    expect(await api.saveImage!({ id: 'run-1', fileName: 'heart.png' })).toBeNull();
    value = { path: 1 };
    await expect(api.saveImage!({ id: 'run-1', fileName: 'heart.png' })).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
  });
});
