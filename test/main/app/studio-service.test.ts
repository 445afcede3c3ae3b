// StudioService, the main side of the contract, against the real engine and a real history folder: requests
// by name with malformed inputs refused, a run recorded and announced, its uncached baseline linked with PSNR
// and speedup, its same-forwards plain-steps run linked likewise (and refused, saying why, where there is nothing
// to compare), comparison with a difference image, deletion that leaves no dangling links, and model folders
// (a refused one leaves the engine alone; an accepted one restarts it, is announced and remembered), and
// calibration through the contract (events that fit it, the model's info updated, cancel).

import { cpSync, existsSync, mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodePng } from '../../../main/engine/io/png.ts';
import { HistoryStore } from '../../../main/app/history-store.ts';
import { builtinModelDir } from '../../../main/engine/models/pixel-flux/pixel-flux-model.ts';
import { userCalibrationDir } from '../../../main/engine/calibration/calibration-store.ts';
import { EngineHost, type HostEvent } from '../../../main/host/engine-host.ts';
import { MODEL_CHOICE_FILE, readModelChoice } from '../../../main/app/model-choice.ts';
import { events as eventSchemas, StudioError, type EventMessage, type HistoryEntry } from '../../../main/core/contract.ts';
import { StudioService } from '../../../main/app/studio-service.ts';

// One engine for the file (starting a worker is the slow part); each case gets its own history folder and
// service, so no case depends on what another left behind.
let host: EngineHost;
let dir: string;
let service: StudioService;
const seen: EventMessage[] = [];

beforeAll(() => {
  host = new EngineHost();
});
afterAll(async () => {
  await host.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'teacache-service-'));
  service = new StudioService(host, HistoryStore.open(dir));
  seen.length = 0;
  service.onEvent((message) => seen.push(message));
});
afterEach(() => {
  service.close();
  rmSync(dir, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<StudioError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(StudioError);
  return error as StudioError;
}

const RUN_REQUEST = { prompt: 'red heart', seed: 5, steps: 8, width: 32, height: 32, cache: { threshold: 0.3 } };

/** A finished cached run in this case's history. */
async function recordRun(): Promise<HistoryEntry> {
  const { jobId } = (await service.dispatch('generate', { request: RUN_REQUEST })) as { jobId: string };
  return jobDone(jobId);
}

/** The uncached baseline of `run`, linked to it. */
async function recordBaseline(run: HistoryEntry): Promise<HistoryEntry> {
  const { jobId } = (await service.dispatch('generateBaseline', { runId: run.id })) as { jobId: string };
  return jobDone(jobId);
}

function jobDone(jobId: string): Promise<HistoryEntry> {
  return new Promise((resolve, reject) => {
    const stop = service.onEvent((message) => {
      if (message.name === 'jobDone' && message.payload.jobId === jobId) {
        stop();
        resolve(message.payload.entry);
      }
      if (message.name === 'jobFailed' && message.payload.jobId === jobId) {
        stop();
        reject(StudioError.fromPayload(message.payload.error));
      }
    });
  });
}

describe('StudioService.dispatch refuses malformed requests', () => {
  it('names an unknown request and lists the known ones', async () => {
    const error = await failure(service.dispatch('deleteEverything', {}));
    expect(error.code).toBe('INVALID_PAYLOAD');
    expect(error.message).toMatch(/no request named "deleteEverything".*generate/);
  });

  it('refuses inputs that do not fit, naming the field', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['generate', { request: { prompt: 'x', seed: 1.5 } }, /request\.seed/],
      ['generate', { request: { prompt: 'x', seed: 1, steps: 0 } }, /request\.steps/],
      ['generate', 'not an object', /\(root\)/],
      ['cancel', {}, /jobId/],
      ['getImage', { id: '../x' }, /id/],
      ['compare', { id: 'a', against: 7 }, /against/],
      ['getInfo', { extra: true }, /extra|Unrecognized/],
      ['calibrate', { prompts: [''] }, /prompts\.0: a calibration prompt cannot be empty/],
      ['calibrate', { steps: 1 }, /steps/],
    ];
    for (const [name, input, field] of cases) {
      const error = await failure(service.dispatch(name, input));
      expect(error.code, `${name} ${JSON.stringify(input)}`).toBe('INVALID_PAYLOAD');
      expect(error.message).toMatch(field);
    }
    expect(host.jobs()).toEqual([]);
  });

  it('says NOT_FOUND for runs that do not exist', async () => {
    expect((await failure(service.dispatch('getImage', { id: 'missing' }))).code).toBe('NOT_FOUND');
    expect((await failure(service.dispatch('generateBaseline', { runId: 'missing' }))).code).toBe('NOT_FOUND');
    expect(await service.dispatch('deleteRun', { id: 'missing' })).toEqual({ deleted: false });
  });
});

describe('StudioService runs, records and compares', () => {
  it('records a finished run and announces it with events that fit the contract', async () => {
    const { jobId } = (await service.dispatch('generate', { request: RUN_REQUEST })) as { jobId: string };
    const run = await jobDone(jobId);
    const names = seen.filter((message) => 'jobId' in message.payload && message.payload.jobId === jobId).map((message) => message.name);
    expect(names[0]).toBe('jobQueued');
    expect(names[1]).toBe('jobStarted');
    expect(names.at(-1)).toBe('jobDone');
    for (const message of seen) expect(eventSchemas[message.name].safeParse(message.payload).success).toBe(true);
    const stepEvents = seen.flatMap((message) => (message.name === 'steps' && message.payload.jobId === jobId ? message.payload.events : []));
    expect(stepEvents.length).toBe(8);
    expect(stepEvents.filter((step) => !step.computed).length).toBe(run.stats.hits);
    expect(run.stats.hits).toBeGreaterThan(0);
    expect(run.id).toBe(jobId);
    expect(seen.at(-1)).toEqual({ name: 'historyChanged', payload: { added: [run], updated: [], removed: [] } });

    const { entries } = (await service.dispatch('listHistory', {})) as { entries: HistoryEntry[] };
    expect(entries.map((entry) => entry.id)).toEqual([jobId]);
    const image = (await service.dispatch('getImage', { id: jobId })) as { dataUrl: string; width: number };
    const png = decodePng(Buffer.from(image.dataUrl.split(',')[1]!, 'base64'));
    expect([png.width, png.height]).toEqual([run.width, run.height]);
    expect(png.text.parameters).toMatch(/red heart/);
  });

  it('has no comparison before the baseline exists', async () => {
    const run = await recordRun();
    expect((await failure(service.dispatch('compare', { id: run.id }))).code).toBe('NO_BASELINE');
  });

  it('makes the uncached baseline on request and links both runs, with PSNR and speedup', async () => {
    const run = await recordRun();
    const { jobId } = (await service.dispatch('generateBaseline', { runId: run.id })) as { jobId: string };
    const baseline = await jobDone(jobId);
    expect(baseline.baselineOf).toBe(run.id);
    expect(baseline.request.cache.enabled).toBe(false);
    expect(baseline.stats).toMatchObject({ hits: 0, misses: 8 });
    expect({ ...baseline.request, cache: undefined }).toEqual({ ...run.request, cache: undefined });

    const { entries } = (await service.dispatch('listHistory', {})) as { entries: HistoryEntry[] };
    const linked = entries.find((entry) => entry.id === run.id)!;
    expect(linked.baseline?.id).toBe(jobId);
    // One change, carrying both entries: the UI applies it without fetching the history again.
    expect(seen.filter((message) => message.name === 'historyChanged').at(-1)?.payload).toEqual({ added: [baseline], updated: [linked], removed: [] });
    expect(linked.baseline?.speedup).toBeCloseTo(baseline.wallMs / run.wallMs, 6);

    const comparison = (await service.dispatch('compare', { id: run.id })) as { psnr: number | 'identical'; against: string; maxDifference: number; difference: { dataUrl: string } };
    expect(comparison.against).toBe(jobId);
    expect(comparison.psnr).toEqual(linked.baseline?.psnr);
    // Reusing steps changes the image a little, not beyond recognition.
    expect(typeof comparison.psnr === 'number' ? comparison.psnr : Infinity).toBeGreaterThan(10);
    expect(comparison.difference.dataUrl).toMatch(/^data:image\/png;base64,/);

    expect((await failure(service.dispatch('generateBaseline', { runId: jobId }))).message).toMatch(/itself the uncached baseline/);
  });

  it('deletes a baseline and unlinks the run that pointed at it', async () => {
    const run = await recordRun();
    await recordBaseline(run);
    const { entries } = (await service.dispatch('listHistory', {})) as { entries: HistoryEntry[] };
    const baselineId = entries.find((entry) => entry.id === run.id)!.baseline!.id;
    seen.length = 0;
    expect(await service.dispatch('deleteRun', { id: baselineId })).toEqual({ deleted: true });
    const after = (await service.dispatch('listHistory', {})) as { entries: HistoryEntry[] };
    expect(seen).toEqual([{ name: 'historyChanged', payload: { added: [], updated: [after.entries[0]], removed: [baselineId] } }]);
    expect(after.entries.map((entry) => entry.id)).toEqual([run.id]);
    expect(after.entries[0]!.baseline).toBeNull();
    // And so it stays after a restart.
    expect(HistoryStore.open(dir).get(run.id)?.baseline).toBeNull();
  });

  it('runs the same forwards as plain steps on request, links both ways, and compares it with the baseline', async () => {
    const run = await recordRun();
    expect(run.stats.forwards).toBeLessThan(run.request.steps);
    const { jobId, steps } = (await service.dispatch('generateFewerSteps', { runId: run.id })) as { jobId: string; steps: number };
    expect(steps).toBe(run.stats.forwards);
    const fewer = await jobDone(jobId);
    expect(fewer.fewerStepsOf).toBe(run.id);
    // Its queued and started events say which run it measures, as a baseline's say baselineOf.
    const announced = seen.flatMap((message) => ((message.name === 'jobQueued' || message.name === 'jobStarted') && message.payload.jobId === jobId ? [message.payload] : []));
    expect(announced.map((payload) => [payload.baselineOf, payload.fewerStepsOf])).toEqual([
      [null, run.id],
      [null, run.id],
    ]);
    expect(fewer.baselineOf).toBeNull();
    expect(fewer.request.cache.enabled).toBe(false);
    // Every one of its steps is a forward, as many as the cached run computed.
    expect(fewer.stats).toMatchObject({ hits: 0, misses: run.stats.forwards, forwards: run.stats.forwards });
    expect({ ...fewer.request, steps: undefined, cache: undefined }).toEqual({ ...run.request, steps: undefined, cache: undefined });

    let linked = service.history.get(run.id)!;
    expect(linked.fewerSteps).toEqual({ id: jobId, steps, wallMs: fewer.wallMs });
    expect(seen.filter((message) => message.name === 'historyChanged').at(-1)?.payload).toEqual({ added: [fewer], updated: [linked], removed: [] });
    // Its PSNR is against the uncached reference, which it needs.
    expect((await failure(service.dispatch('compare', { id: jobId }))).code).toBe('NO_BASELINE');

    const baseline = await recordBaseline(run);
    linked = service.history.get(run.id)!;
    expect(linked.baseline?.id).toBe(baseline.id);
    expect(linked.fewerSteps?.id).toBe(jobId);
    const plain = (await service.dispatch('compare', { id: jobId, against: baseline.id })) as { psnr: number | 'identical'; against: string };
    expect(plain.against).toBe(baseline.id);
    expect(typeof plain.psnr).toBe('number');
    expect(plain.psnr).not.toEqual(linked.baseline?.psnr);

    expect((await failure(service.dispatch('generateFewerSteps', { runId: jobId }))).message).toMatch(/itself the plain-steps run of run/);
    expect((await failure(service.dispatch('generateFewerSteps', { runId: baseline.id }))).message).toMatch(/uncached reference of run/);
  });

  it('refuses plain steps where there is nothing to compare, saying why, and queues nothing', async () => {
    const run = await recordRun();
    const png = await service.history.image(run.id);
    const uncached = (await service.dispatch('generate', { request: { ...RUN_REQUEST, cache: { enabled: false } } })) as { jobId: string };
    await jobDone(uncached.jobId);
    const cases: [string, Partial<HistoryEntry>, RegExp][] = [
      ['every', { stats: { hits: 0, misses: 8, forwards: 8 } }, /computed every one of its 8 steps.*nothing to compare/],
      ['none', { stats: { hits: 8, misses: 0, forwards: 0 } }, /computed no forward/],
      ['elsewhere', { model: { id: 'other-model', name: 'Other model', trained: true } }, /made with Other model, but .+ is loaded: load that model to make its plain-steps run/],
    ];
    for (const [id, overrides] of cases) await service.history.add({ ...run, ...overrides, id }, png);
    try {
      expect((await failure(service.dispatch('generateFewerSteps', { runId: uncached.jobId }))).message).toMatch(/ran uncached already/);
      for (const [id, , message] of cases) {
        const error = await failure(service.dispatch('generateFewerSteps', { runId: id }));
        expect(error.code, id).toBe('BAD_REQUEST');
        expect(error.message).toMatch(message);
      }
      expect((await failure(service.dispatch('generateFewerSteps', { runId: 'missing' }))).code).toBe('NOT_FOUND');
      expect(host.jobs()).toEqual([]);
    } finally {
      for (const [id] of cases) await service.history.delete(id);
    }
  });

  it('deletes either end of a plain-steps link and unlinks the other, as it stays after a restart', async () => {
    const run = await recordRun();
    const { jobId } = (await service.dispatch('generateFewerSteps', { runId: run.id })) as { jobId: string };
    await jobDone(jobId);
    expect(await service.dispatch('deleteRun', { id: jobId })).toEqual({ deleted: true });
    expect(service.history.get(run.id)?.fewerSteps).toBeNull();
    expect(HistoryStore.open(dir).get(run.id)?.fewerSteps).toBeNull();

    const again = (await service.dispatch('generateFewerSteps', { runId: run.id })) as { jobId: string };
    await jobDone(again.jobId);
    seen.length = 0;
    expect(await service.dispatch('deleteRun', { id: run.id })).toEqual({ deleted: true });
    const orphan = service.history.get(again.jobId)!;
    expect(orphan.fewerStepsOf).toBeNull();
    expect(seen).toEqual([{ name: 'historyChanged', payload: { added: [], updated: [orphan], removed: [run.id] } }]);
    expect(HistoryStore.open(dir).get(again.jobId)?.fewerStepsOf).toBeNull();
  });

  it('pages the history newest first, and says when the run to page on from is gone', async () => {
    const run = await recordRun();
    const png = await service.history.image(run.id);
    const paged = Array.from({ length: 5 }, (_, i) => `paged${i}`);
    for (const [i, id] of paged.entries()) await service.history.add({ ...run, id, createdAt: new Date(Date.UTC(2030, 0, 1, 0, 0, i)).toISOString() }, png);
    const page = async (input: object) => {
      const { entries, more } = (await service.dispatch('listHistory', input)) as { entries: HistoryEntry[]; more: boolean };
      return { ids: entries.map((entry) => entry.id), more };
    };
    try {
      expect(await page({ limit: 2 })).toEqual({ ids: ['paged4', 'paged3'], more: true });
      expect(await page({ before: 'paged3', limit: 2 })).toEqual({ ids: ['paged2', 'paged1'], more: true });
      expect(await page({ before: 'paged1', limit: 10 })).toEqual({ ids: ['paged0', run.id], more: false });
      expect(await page({})).toEqual({ ids: [...paged].reverse().concat(run.id), more: false });
      expect(await failure(service.dispatch('listHistory', { before: 'gone' }))).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/list from the newest again/) });
      expect((await failure(service.dispatch('listHistory', { limit: 0 }))).code).toBe('INVALID_PAYLOAD');
    } finally {
      for (const id of paged) await service.history.delete(id);
    }
  });

  it('cancels through the contract with CANCELLED', async () => {
    const { jobId } = (await service.dispatch('generate', { request: { prompt: 'x', seed: 1, steps: 300, width: 32, height: 32, cache: { enabled: false } } })) as { jobId: string };
    const done = jobDone(jobId);
    expect((await service.dispatch('listJobs', {})) as unknown).toMatchObject({ jobs: [{ jobId }] });
    expect(await service.dispatch('cancel', { jobId })).toEqual({ cancelled: true });
    expect((await failure(done)).code).toBe('CANCELLED');
    expect(await service.dispatch('cancel', { jobId })).toEqual({ cancelled: false });
  });
});

describe('StudioService model folders', () => {
  it('starts on the built-in model', async () => {
    expect(await service.dispatch('getModelSource', {})).toEqual({ kind: 'builtin', dir: null, note: null });
  });

  it('refuses a path that is not a non-empty string at the boundary', async () => {
    expect((await failure(service.dispatch('setModelFolder', { dir: 5 }))).code).toBe('INVALID_PAYLOAD');
    const empty = await failure(service.dispatch('setModelFolder', { dir: '  ' }));
    expect(empty.code).toBe('INVALID_PAYLOAD');
    expect(empty.message).toContain('give the path of a model folder');
    expect((await failure(service.dispatch('setModelFolder', {}))).code).toBe('INVALID_PAYLOAD');
  });

  it('refuses a folder with problems, naming them, without touching the running model or the remembered one', async () => {
    await service.dispatch('getInfo', {});
    const started = host.workersStarted;
    const before = seen.length;
    const missing = join(dir, 'no-such-model');
    const result = (await service.dispatch('setModelFolder', { dir: missing })) as { accepted: boolean; problems: { path: string; message: string }[] };
    expect(result.accepted).toBe(false);
    expect(result.problems).toEqual([{ path: missing, message: expect.stringContaining('does not exist') }]);
    expect(host.workersStarted).toBe(started);
    expect(host.currentModelDir).toBeUndefined();
    expect(seen.slice(before).some((message) => message.name === 'modelChanged')).toBe(false);
    expect(existsSync(join(dir, MODEL_CHOICE_FILE))).toBe(false);
  });

  it('refuses a copy of the built-in folder with a truncated transformer, leaving the running model alone (issue 12, item 3)', async () => {
    await service.dispatch('getInfo', {});
    const broken = join(dir, 'broken-builtin');
    cpSync(builtinModelDir(), broken, { recursive: true });
    truncateSync(join(broken, 'transformer.safetensors'), 4_000_000);
    const started = host.workersStarted;
    const result = (await service.dispatch('setModelFolder', { dir: broken })) as { accepted: boolean; problems: { path: string; message: string }[] };
    expect(result.accepted).toBe(false);
    expect(result.problems).toEqual([{ path: join(broken, 'transformer.safetensors'), message: expect.stringMatching(/truncated/) }]);
    expect(host.workersStarted).toBe(started);
    expect(host.currentModelDir).toBeUndefined();
    expect(existsSync(join(dir, MODEL_CHOICE_FILE))).toBe(false);
    rmSync(broken, { recursive: true, force: true });
  });

  it('switches to a valid folder: restarts the engine on it, announces it and remembers it', async () => {
    const folder = builtinModelDir();
    const started = host.workersStarted;
    const before = seen.length;
    const result = await service.dispatch('setModelFolder', { dir: folder });
    const source = { kind: 'folder', dir: resolve(folder), note: null };
    expect(result).toEqual({ accepted: true, problems: [], source });
    expect(host.workersStarted).toBe(started + 1);
    expect(host.currentModelDir).toBe(resolve(folder));
    expect(seen.slice(before).filter((message) => message.name === 'modelChanged').map((message) => message.payload)).toEqual([{ source }]);
    expect(readModelChoice(dir)).toBe(resolve(folder));
    expect(await service.dispatch('getModelSource', {})).toEqual(source);
    const info = (await service.dispatch('getInfo', {})) as { model: { id: string } };
    expect(info.model.id).toBeTruthy();
    // Back to the built-in model, remembered as such.
    expect(await service.dispatch('setModelFolder', { dir: null })).toEqual({ accepted: true, problems: [], source: { kind: 'builtin', dir: null, note: null } });
    expect(host.currentModelDir).toBeUndefined();
    expect(readModelChoice(dir)).toBeNull();
  });
});

describe('StudioService calibration', () => {
  let calDir: string;
  let calHost: EngineHost;
  let calService: StudioService;
  const messages: EventMessage[] = [];
  beforeAll(() => {
    calDir = mkdtempSync(join(tmpdir(), 'teacache-service-calibration-'));
    calHost = new EngineHost({ calibrationDir: userCalibrationDir(calDir) });
    calService = new StudioService(calHost, HistoryStore.open(calDir));
    calService.onEvent((message) => messages.push(message));
  });
  afterAll(async () => {
    calService.close();
    await calHost.close();
    rmSync(calDir, { recursive: true, force: true });
  });

  const outcome = (jobId: string) =>
    new Promise<EventMessage>((resolve) => {
      const stop = calService.onEvent((message) => {
        if ((message.name === 'calibrationDone' || message.name === 'calibrationFailed') && message.payload.jobId === jobId) {
          stop();
          resolve(message);
        }
      });
    });

  it('calibrates through the contract: queued, progress, done, and getInfo answers with the new polynomial', async () => {
    const { jobId } = (await calService.dispatch('calibrate', { prompts: [' red apple '], steps: 21 })) as { jobId: string };
    const done = await outcome(jobId);
    expect(done.name).toBe('calibrationDone');
    const mine = messages.filter((message) => 'jobId' in message.payload && message.payload.jobId === jobId);
    expect(mine[0]).toEqual({ name: 'calibrationQueued', payload: { jobId, request: { prompts: ['red apple'], steps: 21 }, position: 0 } });
    expect(mine.some((message) => message.name === 'calibrationProgress')).toBe(true);
    for (const message of mine) expect(eventSchemas[message.name].safeParse(message.payload).success).toBe(true);
    // Calibration is not a generation: nothing of it shows up as a run.
    expect(mine.some((message) => message.name.startsWith('job') || message.name === 'steps')).toBe(false);
    const result = (done.payload as { result: { coefficients: number[]; file: string } }).result;
    const info = (await calService.dispatch('getInfo', {})) as { model: { defaults: { teacache: { coefficients?: number[] } }; calibration?: { file: string } | null } };
    expect(info.model.defaults.teacache.coefficients).toEqual(result.coefficients);
    expect(info.model.calibration?.file).toBe(result.file);
    expect(result.file.startsWith(userCalibrationDir(calDir))).toBe(true);
    expect(await calService.dispatch('listJobs', {})).toEqual({ jobs: [] });
  });

  it('cancels a calibration through the contract with CANCELLED', async () => {
    const { jobId } = (await calService.dispatch('calibrate', { prompts: ['blue fish', 'green tree'], steps: 80 })) as { jobId: string };
    const ended = outcome(jobId);
    expect(await calService.dispatch('cancel', { jobId })).toEqual({ cancelled: true });
    const failed = await ended;
    expect(failed).toMatchObject({ name: 'calibrationFailed', payload: { jobId, error: { code: 'CANCELLED' } } });
  });
});

describe('StudioService history writes, one at a time', () => {
  it('saves a run that finishes while a delete unlinks the run it measures, writing back no link to the deleted run', async () => {
    const run = await recordRun();
    const baseline = await recordBaseline(run);
    const png = await service.history.image(baseline.id);
    // A host whose events this case delivers itself, so the result lands while the delete is under way.
    let deliver: (event: HostEvent) => void = () => undefined;
    const fakeHost = { on: (listener: (event: HostEvent) => void) => ((deliver = listener), () => undefined) } as unknown as EngineHost;
    const local = new StudioService(fakeHost, HistoryStore.open(dir));
    try {
      const saved = new Promise<void>((done) => local.onEvent((message) => message.name === 'jobDone' && done()));
      const { id: _id, createdAt: _createdAt, baselineOf: _baselineOf, baseline: _baseline, fewerSteps: _fewerSteps, fewerStepsOf: _fewerStepsOf, ...record } = baseline;
      const deleting = local.dispatch('deleteRun', { id: baseline.id });
      deliver({ type: 'result', jobId: 'plain-1', result: { ...record, png }, baselineOf: null, fewerStepsOf: run.id });
      expect(await deleting).toEqual({ deleted: true });
      await saved;
      for (const history of [local.history, HistoryStore.open(dir)]) {
        const linked = history.get(run.id)!;
        expect(linked.baseline).toBeNull();
        expect(linked.fewerSteps?.id).toBe('plain-1');
        expect(history.get(baseline.id)).toBeUndefined();
      }
    } finally {
      local.close();
    }
  });
});
