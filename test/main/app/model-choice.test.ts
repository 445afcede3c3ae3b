// The remembered model folder: saved atomically and read back, and the startup decision — a remembered folder
// that still validates is used, one that is gone or invalid falls back to the built-in model with a note naming
// the folder and its problems.

import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { builtinModelDir } from '../../../main/engine/models/pixel-flux/pixel-flux-model.ts';
import { folderProblems, MODEL_CHOICE_FILE, readModelChoice, saveModelChoice, startupModel } from '../../../main/app/model-choice.ts';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'teacache-model-choice-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the remembered model choice', () => {
  it('is none until one is saved, then reads back, and leaves no temporary file', async () => {
    expect(readModelChoice(dataDir)).toBeNull();
    await saveModelChoice(dataDir, '/models/flux-schnell');
    expect(readModelChoice(dataDir)).toBe('/models/flux-schnell');
    await saveModelChoice(dataDir, null);
    expect(readModelChoice(dataDir)).toBeNull();
    expect(readdirSync(dataDir)).toEqual([MODEL_CHOICE_FILE]);
  });

  it('refuses a file it did not write, naming it', () => {
    writeFileSync(join(dataDir, MODEL_CHOICE_FILE), '{"dir": 7}');
    expect(() => readModelChoice(dataDir)).toThrow(/model\.json is not a model\.json this app wrote/);
  });
});

describe('startupModel', () => {
  it('uses the built-in model without a note when nothing is remembered', () => {
    expect(startupModel(dataDir)).toEqual({ source: { kind: 'builtin', dir: null, note: null } });
  });

  it('uses a remembered folder that still validates', async () => {
    const folder = join(dataDir, 'good');
    mkdirSync(folder);
    await saveModelChoice(dataDir, folder);
    const startup = startupModel(dataDir, { check: () => ({ kind: 'flux1', variant: 'schnell', problems: [] }) });
    expect(startup).toEqual({ modelDir: folder, source: { kind: 'folder', dir: folder, note: null } });
  });

  it('falls back to the built-in model, saying why, when the remembered folder is gone', async () => {
    const gone = join(dataDir, 'deleted-model');
    await saveModelChoice(dataDir, gone);
    const startup = startupModel(dataDir);
    expect(startup.modelDir).toBeUndefined();
    expect(startup.source.kind).toBe('builtin');
    expect(startup.source.note).toContain(`The remembered model folder ${gone} cannot be used`);
    expect(startup.source.note).toContain('does not exist');
    expect(startup.source.note).toContain('Using the built-in model');
  });

  it('falls back with every problem of an invalid folder named', async () => {
    const folder = join(dataDir, 'broken');
    mkdirSync(folder);
    await saveModelChoice(dataDir, folder);
    const check = () => ({ problems: [{ path: join(folder, 'vae'), message: 'missing: the autoencoder folder' }, { path: join(folder, 'tokenizer_2'), message: 'missing spiece.model' }] });
    const { source } = startupModel(dataDir, { check });
    expect(source.kind).toBe('builtin');
    expect(source.note).toContain(`${join(folder, 'vae')}: missing: the autoencoder folder`);
    expect(source.note).toContain(`${join(folder, 'tokenizer_2')}: missing spiece.model`);
  });

  it('falls back, with a note, from a remembered built-in-format folder that no longer loads (issue 12, item 3)', async () => {
    // Checked for real: a copy of the shipped folder whose transformer was cut short after it was remembered.
    const folder = join(dataDir, 'builtin-copy');
    cpSync(builtinModelDir(), folder, { recursive: true });
    await saveModelChoice(dataDir, folder);
    expect(startupModel(dataDir)).toEqual({ modelDir: folder, source: { kind: 'folder', dir: folder, note: null } });
    truncateSync(join(folder, 'transformer.safetensors'), 4_000_000);
    const { modelDir, source } = startupModel(dataDir);
    expect(modelDir).toBeUndefined();
    expect(source.kind).toBe('builtin');
    expect(source.note).toMatch(new RegExp(`The remembered model folder ${folder} cannot be used \\(${join(folder, 'transformer.safetensors')}: .*truncated`));
    expect(source.note).toContain('Using the built-in model');
  });

  it('falls back with a note when the remembered choice is unreadable', () => {
    writeFileSync(join(dataDir, MODEL_CHOICE_FILE), 'not json');
    const { source, modelDir } = startupModel(dataDir);
    expect(modelDir).toBeUndefined();
    expect(source.note).toMatch(/not a model\.json this app wrote.*Using the built-in model/);
  });

  it('takes an explicit folder (--model) as given, without checking the remembered one', async () => {
    await saveModelChoice(dataDir, join(dataDir, 'gone'));
    const startup = startupModel(dataDir, { explicit: join(dataDir, 'other') });
    expect(startup).toEqual({ modelDir: join(dataDir, 'other'), source: { kind: 'folder', dir: join(dataDir, 'other'), note: null } });
  });
});

describe('folderProblems', () => {
  it('names a folder that does not exist, made absolute', () => {
    const { dir, problems } = folderProblems('relative/nowhere');
    expect(dir).toBe(join(process.cwd(), 'relative/nowhere'));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe(dir);
    expect(problems[0]!.message).toMatch(/does not exist/);
  });

  it('names a folder that holds no known model', () => {
    const { problems } = folderProblems(dataDir);
    expect(problems[0]!.message).toMatch(/holds no model the engine knows.*model\.json/);
  });

  it('turns a checker that throws into a problem', () => {
    const { problems } = folderProblems(dataDir, () => {
      throw new Error('permission denied');
    });
    expect(problems).toEqual([{ path: dataDir, message: 'permission denied' }]);
  });
});
