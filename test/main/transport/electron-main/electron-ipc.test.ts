// The Electron transport's main side, with a fake ipcMain: every contract request has a handler; a sender that
// is not our main frame is refused with FORBIDDEN; malformed payloads come back as INVALID_PAYLOAD envelopes;
// events reach every live window on their contract channel; the model-folder picker and the image saver answer our window only.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IpcMainInvokeEvent } from 'electron';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { HistoryStore } from '../../../../main/app/history-store.ts';
import { ipcChannel, REQUEST_NAMES, type Envelope } from '../../../../main/core/contract.ts';
import { forwardEvents, registerImageSaver, registerIpcHandlers, registerModelFolderPicker } from '../../../../main/transport/electron-main/electron-ipc.ts';
import { StudioService } from '../../../../main/app/studio-service.ts';
import { EngineHost } from '../../../../main/host/engine-host.ts';

const dir = mkdtempSync(join(tmpdir(), 'teacache-ipc-'));
// The host never starts a worker here: no request below reaches the engine.
const host = new EngineHost();
const service = new StudioService(host, HistoryStore.open(dir));
afterAll(async () => {
  service.close();
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

type Handler = (event: IpcMainInvokeEvent, input: unknown) => Promise<Envelope<unknown>>;
const handlers = new Map<string, Handler>();
const fakeIpcMain = {
  handle: (channel: string, handler: Handler) => void handlers.set(channel, handler),
  removeHandler: (channel: string) => void handlers.delete(channel),
};
const trusted = { senderFrame: { url: 'app://studio/index.html' } } as unknown as IpcMainInvokeEvent;
const stranger = { senderFrame: { url: 'https://example.com/' } } as unknown as IpcMainInvokeEvent;
const unregister = registerIpcHandlers({ ipcMain: fakeIpcMain as never, service, isTrustedSender: (event) => event === trusted });

describe('registerIpcHandlers', () => {
  it('handles every request of the contract, on its derived channel', () => {
    expect([...handlers.keys()].sort()).toEqual(REQUEST_NAMES.map((name) => ipcChannel.request(name)).sort());
  });

  it('refuses a sender that is not our main frame, before looking at the payload', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const envelope = await handlers.get(ipcChannel.request('listHistory'))!(stranger, {});
    warn.mockRestore();
    expect(envelope).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', message: expect.stringMatching(/example\.com/) } });
  });

  it('answers malformed payloads with INVALID_PAYLOAD envelopes naming the field', async () => {
    const envelope = await handlers.get(ipcChannel.request('generate'))!(trusted, { request: { prompt: 'x', seed: -3 } });
    expect(envelope).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD', message: expect.stringMatching(/request\.seed/) } });
    const calibration = await handlers.get(ipcChannel.request('calibrate'))!(trusted, { prompts: ['red apple'], steps: 0 });
    expect(calibration).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD', message: expect.stringMatching(/steps: a run needs at least 2 steps/) } });
    expect(host.jobs()).toEqual([]);
  });

  it('answers valid requests with their value', async () => {
    expect(await handlers.get(ipcChannel.request('listHistory'))!(trusted, {})).toEqual({ ok: true, value: { entries: [], more: false } });
    expect(await handlers.get(ipcChannel.request('cancel'))!(trusted, { jobId: 'none' })).toEqual({ ok: true, value: { cancelled: false } });
  });

  it('removes its handlers', () => {
    unregister();
    expect(handlers.size).toBe(0);
  });
});

describe('forwardEvents', () => {
  it('sends each event to every live window on its channel', async () => {
    const sent: [string, string, unknown][] = [];
    const windows = [
      { send: (channel: string, payload: unknown) => sent.push(['a', channel, payload]), isDestroyed: () => false },
      { send: (channel: string, payload: unknown) => sent.push(['b', channel, payload]), isDestroyed: () => true },
    ];
    const stop = forwardEvents(service, () => windows);
    // A queued job cancelled at once: two events, no engine needed.
    const job = host.submit({ prompt: 'x', seed: 1 });
    host.cancel(job.jobId);
    await job.done.catch(() => {});
    stop();
    expect(sent.map(([target, channel]) => [target, channel])).toEqual([
      ['a', ipcChannel.event('jobQueued')],
      ['a', ipcChannel.event('jobFailed')],
    ]);
    expect(sent[1]![2]).toMatchObject({ jobId: job.jobId, error: { code: 'CANCELLED' } });
  });
});

describe('registerModelFolderPicker', () => {
  const pickerHandlers = new Map<string, Handler>();
  const pickerIpc = {
    handle: (channel: string, handler: Handler) => void pickerHandlers.set(channel, handler),
    removeHandler: (channel: string) => void pickerHandlers.delete(channel),
  };
  let answer = { canceled: false, filePaths: ['/models/flux-schnell'] };
  let opened = 0;
  const stop = registerModelFolderPicker({
    ipcMain: pickerIpc as never,
    isTrustedSender: (event) => event === trusted,
    showOpenDialog: async () => {
      opened++;
      return answer;
    },
  });

  it('answers our window with the chosen folder, or null when the dialog is cancelled', async () => {
    const pick = pickerHandlers.get(ipcChannel.pickModelFolder)!;
    expect(await pick(trusted, undefined)).toEqual({ ok: true, value: '/models/flux-schnell' });
    answer = { canceled: true, filePaths: [] };
    expect(await pick(trusted, undefined)).toEqual({ ok: true, value: null });
  });

  it('refuses any other sender without opening a dialog', async () => {
    const before = opened;
    const envelope = await pickerHandlers.get(ipcChannel.pickModelFolder)!(stranger, undefined);
    expect(envelope).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(opened).toBe(before);
    stop();
    expect(pickerHandlers.size).toBe(0);
  });
});

describe('registerImageSaver', () => {
  const saverHandlers = new Map<string, Handler>();
  const saverIpc = {
    handle: (channel: string, handler: Handler) => void saverHandlers.set(channel, handler),
    removeHandler: (channel: string) => void saverHandlers.delete(channel),
  };
  const stored = new Uint8Array([137, 80, 78, 71, 1, 2, 3]);
  const written: [string, Uint8Array][] = [];
  const suggested: string[] = [];
  let answer: { canceled: boolean; filePath?: string } = { canceled: false, filePath: '/home/me/heart.png' };
  const stop = registerImageSaver({
    ipcMain: saverIpc as never,
    isTrustedSender: (event) => event === trusted,
    showSaveDialog: async (fileName) => {
      suggested.push(fileName);
      return answer;
    },
    image: async (id) => {
      if (id !== 'run-1') throw Object.assign(new Error(`No run ${id}.`), { code: 'NOT_FOUND' });
      return stored;
    },
    writeFile: async (path, bytes) => void written.push([path, bytes]),
  });
  const save = (event: IpcMainInvokeEvent, input: unknown) => saverHandlers.get(ipcChannel.saveImage)!(event, input);

  it('writes the stored PNG bytes unchanged where the user chose, suggesting the given name', async () => {
    expect(await save(trusted, { id: 'run-1', fileName: 'red heart seed 42.png' })).toEqual({ ok: true, value: '/home/me/heart.png' });
    expect(suggested).toEqual(['red heart seed 42.png']);
    expect(written).toEqual([['/home/me/heart.png', stored]]);
    answer = { canceled: true };
    expect(await save(trusted, { id: 'run-1', fileName: 'x.png' })).toEqual({ ok: true, value: null });
    expect(written).toHaveLength(1);
  });

  it('refuses a file name that is a path, an unknown run and a stranger, without writing', async () => {
    answer = { canceled: false, filePath: '/tmp/x.png' };
    expect(await save(trusted, { id: 'run-1', fileName: '../../etc/x.png' })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD', message: expect.stringMatching(/fileName/) } });
    expect(await save(trusted, { id: 'nope', fileName: 'x.png' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await save(stranger, { id: 'run-1', fileName: 'x.png' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(written).toHaveLength(1);
    stop();
    expect(saverHandlers.size).toBe(0);
  });
});
