// The preload with a stand-in `electron` module: it exposes exactly one named function per contract request and
// one subscription per event (never ipcRenderer), invokes the derived channels, and passes listeners the payload
// alone.

import { beforeAll, describe, expect, it, vi } from 'vitest';
import { BRIDGE_GLOBAL, EVENT_NAMES, ipcChannel, REQUEST_NAMES } from '../../../../main/core/contract.ts';

const fake = vi.hoisted(() => {
  type Listener = (...args: unknown[]) => void;
  const state = {
    exposed: new Map<string, Record<string, unknown>>(),
    invoked: [] as [string, unknown][],
    listeners: new Map<string, Set<Listener>>(),
  };
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: Record<string, unknown>) => void state.exposed.set(key, api) },
    ipcRenderer: {
      invoke: async (channel: string, input: unknown) => {
        state.invoked.push([channel, input]);
        return { ok: true, value: { echoed: input } };
      },
      on: (channel: string, listener: Listener) => {
        if (!state.listeners.has(channel)) state.listeners.set(channel, new Set());
        state.listeners.get(channel)!.add(listener);
      },
      removeListener: (channel: string, listener: Listener) => void state.listeners.get(channel)?.delete(listener),
    },
  };
  return { state, electron };
});

vi.mock('electron', () => fake.electron);
const { state } = fake;

beforeAll(async () => {
  await import('../../../../main/transport/preload/preload.ts');
});

describe('main/transport/preload/preload.ts', () => {
  it('exposes one named function per request and per event, and nothing else', () => {
    expect([...state.exposed.keys()]).toEqual([BRIDGE_GLOBAL]);
    const bridge = state.exposed.get(BRIDGE_GLOBAL)!;
    const expected = [...REQUEST_NAMES, ...EVENT_NAMES.map((name) => `on${name[0]!.toUpperCase()}${name.slice(1)}`), 'pickModelFolder', 'saveImage'];
    expect(Object.keys(bridge).sort()).toEqual(expected.sort());
    for (const value of Object.values(bridge)) expect(typeof value).toBe('function');
    expect(Object.values(bridge)).not.toContain(fake.electron.ipcRenderer);
    expect(Object.isFrozen(bridge)).toBe(true);
  });

  it('invokes the contract channel of each request', async () => {
    const bridge = state.exposed.get(BRIDGE_GLOBAL)! as Record<string, (input: unknown) => Promise<unknown>>;
    expect(await bridge.cancel!({ jobId: 'j' })).toEqual({ ok: true, value: { echoed: { jobId: 'j' } } });
    expect(state.invoked).toEqual([[ipcChannel.request('cancel'), { jobId: 'j' }]]);
    await bridge.calibrate!({ prompts: ['red apple'], steps: 6 });
    expect(state.invoked.at(-1)).toEqual([ipcChannel.request('calibrate'), { prompts: ['red apple'], steps: 6 }]);
    for (const name of ['onCalibrationQueued', 'onCalibrationProgress', 'onCalibrationDone', 'onCalibrationFailed']) expect(typeof bridge[name]).toBe('function');
  });

  it('asks main for the native folder picker on its own channel, with no input', async () => {
    const bridge = state.exposed.get(BRIDGE_GLOBAL)! as Record<string, (input?: unknown) => Promise<unknown>>;
    state.invoked.length = 0;
    await bridge.pickModelFolder!('ignored');
    expect(state.invoked).toEqual([[ipcChannel.pickModelFolder, undefined]]);
  });

  it('asks main for the native save dialog on its own channel, passing the input for main to validate', async () => {
    const bridge = state.exposed.get(BRIDGE_GLOBAL)! as Record<string, (input?: unknown) => Promise<unknown>>;
    state.invoked.length = 0;
    await bridge.saveImage!({ id: 'run-1', fileName: 'x.png' });
    expect(state.invoked).toEqual([[ipcChannel.saveImage, { id: 'run-1', fileName: 'x.png' }]]);
  });

  it('hands listeners the payload only, and unsubscribes', () => {
    const bridge = state.exposed.get(BRIDGE_GLOBAL)! as Record<string, (listener: (payload: unknown) => void) => () => void>;
    const received: unknown[][] = [];
    const unsubscribe = bridge.onSteps!((...args) => received.push(args));
    const channel = ipcChannel.event('steps');
    for (const listener of state.listeners.get(channel)!) listener({ sender: 'the IPC event' }, { jobId: 'j', events: [] });
    expect(received).toEqual([[{ jobId: 'j', events: [] }]]);
    unsubscribe();
    expect(state.listeners.get(channel)!.size).toBe(0);
    expect(() => bridge.onSteps!('not a function' as never)).toThrow(TypeError);
  });
});
