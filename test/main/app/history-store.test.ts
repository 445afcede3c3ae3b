// The run history on disk: survives a restart, keeps newest first, loads records older versions wrote, sets
// unreadable records aside without failing, cleans up after a crash mid-write, and deletes.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodePng } from '../../../main/engine/io/png.ts';
import { resolveRequest } from '../../../main/core/resolve-request.ts';
import { defaultDataDir, HistoryStore } from '../../../main/app/history-store.ts';
import { StudioError, type HistoryEntry } from '../../../main/core/contract.ts';
import { forwardEquivalentsOf } from '../../../main/core/teacache/step-cost.ts';

export function entryFixture(id: string, createdAt: string, overrides: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    id,
    createdAt,
    request: resolveRequest(
      {
        info: { id: 'builtin-emoji', name: 'Built-in', trained: true, notes: [], guidanceEmbedded: false, sizeMultiple: 2, maxSize: 64 },
        defaults: { steps: 2, width: 2, height: 2, guidanceScale: 4, shift: false, teacache: { threshold: 0.1, rescaleFactor: 1 } },
      },
      { prompt: 'red heart', seed: 1 },
    ),
    width: 2,
    height: 2,
    timesteps: [1, 0.5, 0],
    stats: { hits: 0, misses: 2, forwards: 2 },
    wallMs: 12.5,
    events: [
      { index: 0, total: 2, timestep: 1, computed: true, reason: 'first-step', distance: 0, accumulated: 0, threshold: 0.1, ms: 6 },
      { index: 1, total: 2, timestep: 0.5, computed: true, reason: 'skip-early', distance: 0, accumulated: 0, threshold: 0.1, ms: 6 },
    ],
    unknownWords: [],
    model: { id: 'builtin-emoji', name: 'Built-in', trained: true },
    backend: { name: 'npm', package: '@frost-beta/mlx', version: '0.0.7', device: 'cpu' },
    baselineOf: null,
    baseline: null,
    ...overrides,
  };
}

export const tinyPng = (value = 10) => encodePng(new Uint8Array(12).fill(value), 2, 2, { parameters: 'red heart' });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'teacache-history-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('HistoryStore', () => {
  it('keeps runs across a restart, newest first, with their images byte for byte', async () => {
    const store = HistoryStore.open(dir);
    await store.add(entryFixture('older', '2026-11-25T10:00:00.000Z'), tinyPng(1));
    await store.add(entryFixture('newer', '2026-11-25T11:00:00.000Z'), tinyPng(2));
    const reopened = HistoryStore.open(dir);
    expect(reopened.list().map((entry) => entry.id)).toEqual(['newer', 'older']);
    expect(reopened.get('older')).toEqual(entryFixture('older', '2026-11-25T10:00:00.000Z'));
    expect(await reopened.image('newer')).toEqual(tinyPng(2));
    expect(reopened.problems).toEqual([]);
  });

  it('sets aside a record that is not JSON or does not fit, reports it, and loads the rest', async () => {
    const store = HistoryStore.open(dir);
    await store.add(entryFixture('good', '2026-11-25T10:00:00.000Z'), tinyPng());
    await store.add(entryFixture('wrong', '2026-11-25T10:00:00.000Z'), tinyPng());
    writeFileSync(join(store.runsDir, 'broken.json'), '{"format": 1, "entry": {');
    writeFileSync(join(store.runsDir, 'broken.png'), tinyPng());
    const wrong = JSON.parse(readFileSync(join(store.runsDir, 'wrong.json'), 'utf8'));
    wrong.entry.stats.hits = -1;
    writeFileSync(join(store.runsDir, 'wrong.json'), JSON.stringify(wrong));

    const reopened = HistoryStore.open(dir);
    expect(reopened.list().map((entry) => entry.id)).toEqual(['good']);
    expect(reopened.problems).toHaveLength(2);
    const messages = reopened.problems.map((problem) => problem.message).join('\n');
    expect(messages).toMatch(/broken\.json could not be read \(it is not valid JSON/);
    expect(messages).toMatch(/wrong\.json could not be read \(it does not fit the history format: entry\.stats\.hits/);
    // Moved, not deleted: the user's files are still there to recover.
    const aside = readdirSync(reopened.asideDir);
    expect(aside.filter((name) => name.endsWith('broken.json') || name.endsWith('broken.png'))).toHaveLength(2);
    expect(readdirSync(reopened.runsDir).sort()).toEqual(['good.json', 'good.png']);
  });

  it('drops temporary files and sets aside an image whose record was never written (a crash mid-save)', async () => {
    const store = HistoryStore.open(dir);
    await store.add(entryFixture('kept', '2026-11-25T10:00:00.000Z'), tinyPng());
    writeFileSync(join(store.runsDir, 'kept.json.123-abcd.tmp'), '{"half": ');
    writeFileSync(join(store.runsDir, 'half.png'), tinyPng());
    const reopened = HistoryStore.open(dir);
    expect(reopened.list().map((entry) => entry.id)).toEqual(['kept']);
    expect(readdirSync(reopened.runsDir).sort()).toEqual(['kept.json', 'kept.png']);
    expect(reopened.problems.map((problem) => problem.message).join()).toMatch(/half\.png.*no record/);
  });

  it('sets aside files whose names are not run ids, and leaves records of a newer format in place', async () => {
    const store = HistoryStore.open(dir);
    writeFileSync(join(store.runsDir, 'not an id!.json'), JSON.stringify({ format: 1, entry: entryFixture('x', 'y') }));
    writeFileSync(join(store.runsDir, 'future.json'), JSON.stringify({ format: 99, entry: { id: 'future' } }));
    const reopened = HistoryStore.open(dir);
    expect(reopened.list()).toEqual([]);
    expect(readdirSync(reopened.runsDir)).toEqual(['future.json']);
    const future = reopened.problems.find((problem) => problem.file.endsWith('future.json'));
    const oddName = reopened.problems.find((problem) => problem.file.endsWith('not an id!.json'));
    expect(future).toMatchObject({ movedTo: null, message: expect.stringMatching(/newer TeaCache Studio \(format 99\); left it in place/) });
    expect(oddName?.movedTo).toMatch(/set-aside/);
  });

  it('sets aside a record whose image is missing', async () => {
    const store = HistoryStore.open(dir);
    await store.add(entryFixture('lost', '2026-11-25T10:00:00.000Z'), tinyPng());
    await import('node:fs/promises').then((fs) => fs.rm(join(store.runsDir, 'lost.png')));
    const reopened = HistoryStore.open(dir);
    expect(reopened.list()).toEqual([]);
    expect(reopened.problems[0]?.message).toMatch(/image is missing/);
  });

  it('sets aside a record whose image is damaged, as it does a damaged record (issue 12, item 6)', async () => {
    const store = HistoryStore.open(dir);
    const png = tinyPng();
    const flipped = Uint8Array.from(png);
    flipped[flipped.length - 20] = flipped[flipped.length - 20]! ^ 0xff;
    const damaged: Record<string, Uint8Array> = {
      truncated: png.subarray(0, png.length - 30),
      flipped,
      garbage: new TextEncoder().encode('not a png at all'),
      empty: new Uint8Array(0),
    };
    await store.add(entryFixture('good', '2026-11-25T10:00:00.000Z'), png);
    // A PNG whole but of another size than its record says cannot be compared with its baseline either.
    await store.add(entryFixture('resized', '2026-11-25T10:00:00.000Z'), encodePng(new Uint8Array(27), 3, 3));
    for (const [id, bytes] of Object.entries(damaged)) {
      await store.add(entryFixture(id, '2026-11-25T10:00:00.000Z'), png);
      writeFileSync(join(store.runsDir, `${id}.png`), bytes);
    }
    const reopened = HistoryStore.open(dir);
    expect(reopened.list().map((entry) => entry.id)).toEqual(['good']);
    const messages = reopened.problems.map((problem) => problem.message).join('\n');
    expect(messages).toMatch(/truncated\.json could not be read \(its image is damaged: .*truncated/);
    expect(messages).toMatch(/flipped\.json could not be read \(its image is damaged: .*CRC mismatch/);
    expect(messages).toMatch(/garbage\.json could not be read \(its image is damaged: it is not a PNG file/);
    expect(messages).toMatch(/resized\.json could not be read \(its image is damaged: it is 3×3, not the 2×2 its record says/);
    expect(readdirSync(reopened.runsDir).sort()).toEqual(['good.json', 'good.png']);
    // Both halves moved aside together, to recover by hand.
    expect(readdirSync(reopened.asideDir).filter((name) => /-(truncated|flipped|garbage|empty|resized)\.(json|png)$/.test(name))).toHaveLength(10);
  });

  it('updates and deletes runs, and says NOT_FOUND for runs it does not have', async () => {
    const store = HistoryStore.open(dir);
    const entry = entryFixture('run', '2026-11-25T10:00:00.000Z');
    await store.add(entry, tinyPng());
    await store.update({ ...entry, wallMs: 99 });
    expect(HistoryStore.open(dir).get('run')?.wallMs).toBe(99);
    expect(await store.delete('run')).toBe(true);
    expect(await store.delete('run')).toBe(false);
    expect(HistoryStore.open(dir).list()).toEqual([]);
    const error = await store.image('run').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).code).toBe('NOT_FOUND');
    await expect(store.update(entry)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('loads a record saved before plain-steps links existed unchanged, and keeps the links of a newer one', async () => {
    const store = HistoryStore.open(dir);
    // As an older version wrote it: a baseline link, and no fewerSteps or fewerStepsOf field at all.
    const old = entryFixture('old', '2026-11-25T10:00:00.000Z', { baseline: { id: 'base', wallMs: 30, speedup: 2.5, psnr: 31.2 } });
    const base = entryFixture('base', '2026-11-25T10:01:00.000Z', { baselineOf: 'old' });
    for (const entry of [old, base]) {
      writeFileSync(join(store.runsDir, `${entry.id}.json`), JSON.stringify({ format: 1, entry }));
      writeFileSync(join(store.runsDir, `${entry.id}.png`), tinyPng());
    }
    const reopened = HistoryStore.open(dir);
    expect(reopened.problems).toEqual([]);
    expect(reopened.get('old')).toEqual(old);
    expect(Object.keys(reopened.get('old')!)).not.toContain('fewerSteps');
    expect(reopened.get('base')).toEqual(base);

    const plain = entryFixture('plain', '2026-11-25T10:02:00.000Z', { fewerStepsOf: 'old' });
    await reopened.add(plain, tinyPng());
    await reopened.update({ ...old, fewerSteps: { id: 'plain', steps: 7, wallMs: 4 } });
    const again = HistoryStore.open(dir);
    expect(again.problems).toEqual([]);
    expect(again.get('old')).toEqual({ ...old, fewerSteps: { id: 'plain', steps: 7, wallMs: 4 } });
    expect(again.get('plain')?.fewerStepsOf).toBe('old');
  });

  it('loads a record saved before forward-equivalents were counted, reading its cost as its forwards, and keeps a newer one’s', async () => {
    const store = HistoryStore.open(dir);
    // As an older version wrote it: stats with no forwardEquivalents field (the fixture's).
    const old = entryFixture('old', '2026-11-25T10:00:00.000Z');
    const probed = entryFixture('probed', '2026-11-25T10:01:00.000Z', { stats: { hits: 1, misses: 1, forwards: 1, forwardEquivalents: 1.17 } });
    writeFileSync(join(store.runsDir, 'old.json'), JSON.stringify({ format: 1, entry: old }));
    writeFileSync(join(store.runsDir, 'old.png'), tinyPng());
    await store.add(probed, tinyPng());
    const reopened = HistoryStore.open(dir);
    expect(reopened.problems).toEqual([]);
    expect(reopened.get('old')).toEqual(old);
    expect(forwardEquivalentsOf(reopened.get('old')!.stats)).toBe(2);
    expect(reopened.get('probed')).toEqual(probed);
    expect(forwardEquivalentsOf(reopened.get('probed')!.stats)).toBe(1.17);
  });

  it('refuses an entry that does not fit the schema, writing nothing', async () => {
    const store = HistoryStore.open(dir);
    await expect(store.add({ ...entryFixture('bad', 'x'), id: '../escape' }, tinyPng())).rejects.toThrow(/id/);
    expect(readdirSync(store.runsDir)).toEqual([]);
    expect(existsSync(join(dir, 'escape.png'))).toBe(false);
  });
});

describe('defaultDataDir', () => {
  it('prefers an explicit folder, then the environment, then the home folder', () => {
    const saved = process.env.TEACACHE_STUDIO_DATA;
    try {
      process.env.TEACACHE_STUDIO_DATA = '/tmp/from-env';
      expect(defaultDataDir('/tmp/explicit')).toBe('/tmp/explicit');
      expect(defaultDataDir()).toBe('/tmp/from-env');
      delete process.env.TEACACHE_STUDIO_DATA;
      expect(defaultDataDir()).toMatch(/\.teacache-studio$/);
    } finally {
      if (saved === undefined) delete process.env.TEACACHE_STUDIO_DATA;
      else process.env.TEACACHE_STUDIO_DATA = saved;
    }
  });
});
