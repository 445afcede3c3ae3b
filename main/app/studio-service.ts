// The main process's side of the contract, for both transports: validates each request by name, runs it
// against the EngineHost and the history, and hands the host's contract events on as they are. Runs in the main process
// (Node); no Electron imports, so web mode and tests use it unchanged.

import { decodePng, encodePng, pngDataUrl } from '../engine/io/png.ts';
import { differenceMap } from '../engine/metrics/diff-map.ts';
import { psnrOf } from '../engine/metrics/psnr.ts';
import { fewerStepsRequest, uncachedRequest } from '../core/request.ts';
import { fewerStepsPlan, withoutLinksTo } from '../core/run-links.ts';
import { resolveRequest } from '../core/resolve-request.ts';
import type { HistoryStore } from './history-store.ts';
import type { EngineHost, HostEvent } from '../host/engine-host.ts';
import { BUILTIN_SOURCE, folderProblems, saveModelChoice, type FolderChecker } from './model-choice.ts';
import {
  HISTORY_PAGE_SIZE,
  parsePayload,
  requests,
  StudioError,
  type EventMessage,
  type EventName,
  type EventPayload,
  type HistoryEntry,
  type Image,
  type ModelInfoPayload,
  type ModelSource,
  type RequestInput,
  type RequestName,
  type RequestOutput,
} from '../core/contract.ts';

type Handlers = { readonly [K in RequestName]: (input: RequestInput<K>) => Promise<RequestOutput<K>> };

export interface StudioServiceOptions {
  /** Where the loaded model came from (main/app/model-choice.ts startupModel); the built-in model by default. */
  readonly modelSource?: ModelSource;
  /** Checks a model folder; the engine's checkModelFolder by default (tests pass a stand-in). */
  readonly checkFolder?: FolderChecker;
}

export class StudioService {
  private readonly listeners = new Set<(message: EventMessage) => void>();
  private readonly stopHost: () => void;
  /** History writes (saving finished runs, deleting runs) one at a time keep the links between runs consistent. */
  private saving: Promise<void> = Promise.resolve();
  private modelSource: ModelSource;
  /** One model switch at a time: two racing would leave the remembered folder and the loaded one apart. */
  private switching: Promise<unknown> = Promise.resolve();

  constructor(
    readonly host: EngineHost,
    readonly history: HistoryStore,
    private readonly options: StudioServiceOptions = {},
  ) {
    this.modelSource = options.modelSource ?? BUILTIN_SOURCE;
    this.stopHost = host.on((event) => this.onHostEvent(event));
  }

  /**
   * Every contract event, for a transport to deliver. The host's were validated where they entered this process
   * (from the worker) and the service's own are typed; each receiver (the renderer's client) validates on arrival.
   */
  onEvent(listener: (message: EventMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Runs request `name` with an unchecked input: INVALID_PAYLOAD for an unknown name or an input that does not
   * fit. The output is checked too, so a bug here cannot send the UI something the contract does not allow.
   */
  async dispatch(name: string, input: unknown): Promise<unknown> {
    if (!Object.hasOwn(requests, name)) {
      throw new StudioError('INVALID_PAYLOAD', `There is no request named "${name}". Known requests: ${Object.keys(requests).join(', ')}.`, { name });
    }
    const key = name as RequestName;
    const spec = requests[key];
    const parsed = parsePayload(spec.input, input ?? {}, `${key} input`);
    const output = await (this.handlers[key] as (input: unknown) => Promise<unknown>)(parsed);
    return parsePayload(spec.output, output, `${key} output`);
  }

  close(): void {
    this.stopHost();
    this.listeners.clear();
  }

  private emit<K extends EventName>(name: K, payload: EventPayload<K>): void {
    const message = { name, payload } as EventMessage;
    for (const listener of this.listeners) {
      try {
        listener(message);
      } catch (error) {
        console.error('An event listener threw:', error);
      }
    }
  }

  private readonly handlers: Handlers = {
    getInfo: async () => this.host.info(),
    generate: async ({ request }) => {
      // The engine's own rules for the loaded model (sizes, cache options), so a bad request fails here, not once queued.
      const { model } = await this.host.info();
      resolveRequest({ info: model, defaults: model.defaults }, request);
      return { jobId: this.host.submit(request).jobId };
    },
    generateBaseline: async ({ runId }) => {
      const entry = this.history.require(runId);
      if (entry.baselineOf !== null) {
        throw new StudioError('BAD_REQUEST', `Run ${runId} is itself the uncached baseline of run ${entry.baselineOf}.`, { runId });
      }
      if (!entry.request.cache.enabled) {
        throw new StudioError('BAD_REQUEST', `Run ${runId} ran without TeaCache already; it is its own baseline.`, { runId });
      }
      await this.requireModelOf(entry, 'its baseline');
      return { jobId: this.host.submit(uncachedRequest(entry.request), { baselineOf: runId }).jobId };
    },
    generateFewerSteps: async ({ runId }) => {
      const entry = this.history.require(runId);
      const plan = fewerStepsPlan(entry);
      if ('problem' in plan) throw new StudioError('BAD_REQUEST', plan.message, { runId, problem: plan.problem });
      const model = await this.requireModelOf(entry, 'its plain-steps run');
      const request = fewerStepsRequest(entry.request, plan.steps);
      // As generate does: the engine's rules for the loaded model, so a request it would refuse fails here, not once queued.
      resolveRequest({ info: model, defaults: model.defaults }, request);
      return { jobId: this.host.submit(request, { fewerStepsOf: runId }).jobId, steps: plan.steps };
    },
    calibrate: async (request) => ({ jobId: this.host.calibrate(request).jobId }),
    cancel: async ({ jobId }) => ({ cancelled: this.host.cancel(jobId) }),
    listJobs: async () => ({ jobs: this.host.jobs() }),
    listHistory: async ({ before, limit = HISTORY_PAGE_SIZE }) => {
      const all = this.history.list();
      const start = before === undefined ? 0 : all.findIndex((entry) => entry.id === before) + 1;
      if (start === 0 && before !== undefined) {
        throw new StudioError('NOT_FOUND', `There is no run ${before} in the history to page on from (it may have been deleted): list from the newest again.`, { before });
      }
      return { entries: all.slice(start, start + limit), more: start + limit < all.length };
    },
    getImage: async ({ id }) => {
      const entry = this.history.require(id);
      return { width: entry.width, height: entry.height, dataUrl: pngDataUrl(await this.history.image(id)) };
    },
    deleteRun: async ({ id }) => {
      // On the saves' queue: a save reading an entry this is unlinking would write its old links back.
      const deletion = this.saving.then(() => this.removeRun(id));
      this.saving = deletion.then(
        () => undefined,
        () => undefined,
      );
      return deletion;
    },
    compare: async ({ id, against }) => {
      const entry = this.history.require(id);
      const otherId = against ?? entry.baseline?.id;
      if (!otherId) {
        throw new StudioError('NO_BASELINE', `Run ${id} has no uncached baseline yet: make one first (generateBaseline), or name a run to compare against.`, { id });
      }
      const other = this.history.require(otherId);
      if (other.width !== entry.width || other.height !== entry.height) {
        throw new StudioError('BAD_REQUEST', `Runs ${id} (${entry.width}×${entry.height}) and ${otherId} (${other.width}×${other.height}) differ in size.`, { id, against: otherId });
      }
      const [a, b] = await Promise.all([this.history.image(id), this.history.image(otherId)]).then((pngs) => pngs.map((png) => decodePng(png).rgb));
      const map = differenceMap(a!, b!, entry.width, entry.height);
      let total = 0;
      for (let i = 0; i < a!.length; i++) total += Math.abs(a![i]! - b![i]!);
      const difference: Image = { width: entry.width, height: entry.height, dataUrl: pngDataUrl(encodePng(map.rgb, entry.width, entry.height)) };
      return { id, against: otherId, psnr: psnrOf(a!, b!), maxDifference: map.maxDifference, meanDifference: total / a!.length, difference };
    },
    getModelSource: async () => this.modelSource,
    setModelFolder: async ({ dir }) => {
      const run = this.switching.then(() => this.setModelFolder(dir));
      this.switching = run.catch(() => {});
      return run;
    },
  };

  /** Deletes run `id`, unlinking every entry that points at it first; saves wait for it, and it for them. */
  private async removeRun(id: string): Promise<RequestOutput<'deleteRun'>> {
    const entry = this.history.get(id);
    if (!entry) return { deleted: false };
    // Unlink first: a dangling link would point the UI at a run it cannot fetch.
    const updated: HistoryEntry[] = [];
    for (const other of this.history.list()) {
      const unlinked = withoutLinksTo(other, id);
      if (!unlinked) continue;
      await this.history.update(unlinked);
      updated.push(unlinked);
    }
    const deleted = await this.history.delete(id);
    if (deleted || updated.length > 0) this.emit('historyChanged', { added: [], updated, removed: deleted ? [id] : [] });
    return { deleted };
  }

  /** The loaded model's info, once it is the one run `entry` was made with (BAD_REQUEST otherwise): a rerun of it needs that model. */
  private async requireModelOf(entry: HistoryEntry, what: string): Promise<ModelInfoPayload> {
    const { model } = await this.host.info();
    if (model.id !== entry.model.id) {
      throw new StudioError('BAD_REQUEST', `Run ${entry.id} was made with ${entry.model.name}, but ${model.name} is loaded: load that model to make ${what}.`, {
        runId: entry.id,
        model: entry.model.id,
      });
    }
    return model;
  }

  /** Refuses a folder with problems untouched; otherwise restarts the engine on it, remembers it and says so. */
  private async setModelFolder(dir: string | null): Promise<RequestOutput<'setModelFolder'>> {
    let source: ModelSource = BUILTIN_SOURCE;
    if (dir !== null) {
      const checked = folderProblems(dir, this.options.checkFolder);
      if (checked.problems.length > 0) return { accepted: false, problems: checked.problems, source: this.modelSource };
      source = { kind: 'folder', dir: checked.dir, note: null };
    }
    await this.host.switchModel(source.dir ?? undefined);
    this.modelSource = source;
    this.emit('modelChanged', { source });
    await saveModelChoice(this.history.dir, source.dir);
    return { accepted: true, problems: [], source };
  }

  /** Hands the host's contract events on as they are; a run's result is recorded first, then announced as jobDone. */
  private onHostEvent(event: HostEvent): void {
    if (event.type !== 'result') {
      const { type, ...payload } = event;
      this.emit(type, payload as EventPayload<typeof type>);
      return;
    }
    this.saving = this.saving.then(() => this.save(event)).catch((error: unknown) => {
      const failure = error instanceof StudioError ? error : new StudioError('HISTORY_IO', `Could not save run ${event.jobId}: ${String(error)}`);
      this.emit('jobFailed', { jobId: event.jobId, error: failure.toPayload() });
    });
  }

  /** Records a finished run, links it with its baseline (or the run it is the plain-steps run of) both ways, then announces it. */
  private async save(event: Extract<HostEvent, { type: 'result' }>): Promise<void> {
    const { result } = event;
    const { png, ...rest } = result;
    let entry: HistoryEntry = { ...rest, id: event.jobId, createdAt: new Date().toISOString(), baselineOf: null, baseline: null };
    const original = event.baselineOf ? this.history.get(event.baselineOf) : undefined;
    if (original) entry = { ...entry, baselineOf: original.id };
    // A run deleted while its plain-steps run ran leaves that one unlinked but kept, as with a baseline.
    const measured = event.fewerStepsOf ? this.history.get(event.fewerStepsOf) : undefined;
    if (measured) entry = { ...entry, fewerStepsOf: measured.id };
    // Read the original's image before saving anything, so an unreadable one cannot leave a baseline unlinked.
    const originalRgb = original ? decodePng(await this.history.image(original.id)).rgb : undefined;
    await this.history.add(entry, png);
    const updated: HistoryEntry[] = [];
    if (original && originalRgb) {
      const linked: HistoryEntry = {
        ...original,
        baseline: {
          id: entry.id,
          wallMs: entry.wallMs,
          speedup: original.wallMs > 0 ? entry.wallMs / original.wallMs : 0,
          psnr: psnrOf(originalRgb, decodePng(png).rgb),
        },
      };
      await this.history.update(linked);
      updated.push(linked);
    }
    if (measured) {
      const linked: HistoryEntry = { ...measured, fewerSteps: { id: entry.id, steps: entry.request.steps, wallMs: entry.wallMs } };
      await this.history.update(linked);
      updated.push(linked);
    }
    this.emit('jobDone', { jobId: event.jobId, entry });
    this.emit('historyChanged', { added: [entry], updated, removed: [] });
  }
}
