// Turns a transport's bridge (Electron preload or web) into the typed StudioApi: validates every response and
// event against the contract and surfaces failures as StudioError. Runs in the renderer; no Node, no Electron.

import type { z } from 'zod';
import {
  BRIDGE_GLOBAL,
  ErrorPayloadSchema,
  EVENT_NAMES,
  events,
  parsePayload,
  PickedFolderSchema,
  requests,
  SavedImageSchema,
  StudioError,
  type Envelope,
  type EventName,
  type EventPayload,
  type Listener,
  type RequestInput,
  type RequestName,
  type RequestOutput,
  type SaveImageInput,
  type StudioApi,
  type StudioBridge,
  type Unsubscribe,
} from '../../core/contract.ts';

/** Extra hooks a transport may offer beyond the bridge. */
export interface TransportExtras {
  onConnectionChange?(listener: (connected: boolean) => void): Unsubscribe;
}

export function createStudioApi(bridge: StudioBridge, extras: TransportExtras = {}): StudioApi {
  /** The envelope's value checked against `schema`, or its error thrown as a StudioError. */
  function unwrap<S extends z.ZodType>(name: string, envelope: Envelope<unknown> | undefined, schema: S): z.infer<S> {
    if (!envelope || typeof envelope !== 'object' || typeof envelope.ok !== 'boolean') {
      throw new StudioError('INTERNAL', `The ${name} call returned something that is not a response envelope.`);
    }
    if (!envelope.ok) {
      const error = ErrorPayloadSchema.safeParse(envelope.error);
      throw error.success ? StudioError.fromPayload(error.data) : new StudioError('INTERNAL', `The ${name} call failed with an unreadable error.`, envelope.error);
    }
    return parsePayload(schema, envelope.value, `${name} response`);
  }

  async function call<K extends RequestName>(name: K, input: RequestInput<K>): Promise<RequestOutput<K>> {
    const send = bridge[name] as (input: RequestInput<K>) => Promise<Envelope<unknown>>;
    return unwrap(name, (await send(input)) as Envelope<unknown> | undefined, requests[name].output) as RequestOutput<K>;
  }

  function subscribe<K extends EventName>(name: K, listener: Listener<K>): Unsubscribe {
    const key = `on${name[0]!.toUpperCase()}${name.slice(1)}` as keyof StudioBridge;
    const on = bridge[key] as (listener: (payload: unknown) => void) => Unsubscribe;
    return on((payload) => {
      const parsed = events[name].safeParse(payload);
      if (parsed.success) listener(parsed.data as EventPayload<K>);
      // A malformed event is a bug on the main side; dropping it beats crashing the UI.
      else console.error(`Dropped a malformed ${name} event:`, parsed.error.issues);
    });
  }

  const pick = bridge.pickModelFolder;
  const pickModelFolder = pick
    ? async (): Promise<string | null> => unwrap('pickModelFolder', await pick(), PickedFolderSchema)
    : undefined;

  const save = bridge.saveImage;
  const saveImage = save ? async (input: SaveImageInput): Promise<string | null> => unwrap('saveImage', await save(input), SavedImageSchema) : undefined;

  return {
    ...(pickModelFolder ? { pickModelFolder } : {}),
    ...(saveImage ? { saveImage } : {}),
    getInfo: () => call('getInfo', {}),
    generate: (request) => call('generate', { request }),
    generateBaseline: (runId) => call('generateBaseline', { runId }),
    generateFewerSteps: (runId) => call('generateFewerSteps', { runId }),
    cancel: (jobId) => call('cancel', { jobId }),
    listJobs: () => call('listJobs', {}),
    listHistory: (page = {}) => call('listHistory', page),
    getImage: (id) => call('getImage', { id }),
    deleteRun: (id) => call('deleteRun', { id }),
    compare: (id, against) => call('compare', against === undefined ? { id } : { id, against }),
    onJobQueued: (listener) => subscribe('jobQueued', listener),
    onJobStarted: (listener) => subscribe('jobStarted', listener),
    onSteps: (listener) => subscribe('steps', listener),
    onPreview: (listener) => subscribe('preview', listener),
    onJobDone: (listener) => subscribe('jobDone', listener),
    onJobFailed: (listener) => subscribe('jobFailed', listener),
    onHistoryChanged: (listener) => subscribe('historyChanged', listener),
    getModelSource: () => call('getModelSource', {}),
    setModelFolder: (dir) => call('setModelFolder', { dir }),
    onModelChanged: (listener) => subscribe('modelChanged', listener),
    calibrate: (request = {}) => call('calibrate', request),
    onCalibrationQueued: (listener) => subscribe('calibrationQueued', listener),
    onCalibrationProgress: (listener) => subscribe('calibrationProgress', listener),
    onCalibrationDone: (listener) => subscribe('calibrationDone', listener),
    onCalibrationFailed: (listener) => subscribe('calibrationFailed', listener),
    onConnectionChange: (listener) => {
      if (extras.onConnectionChange) return extras.onConnectionChange(listener);
      listener(true);
      return () => {};
    },
  };
}

/** The Electron preload's bridge when running in the desktop app, else undefined. */
export function electronBridge(): StudioBridge | undefined {
  const candidate = (globalThis as Record<string, unknown>)[BRIDGE_GLOBAL] as StudioBridge | undefined;
  return candidate && EVENT_NAMES.every((name) => typeof candidate[`on${name[0]!.toUpperCase()}${name.slice(1)}` as keyof StudioBridge] === 'function')
    ? candidate
    : undefined;
}
