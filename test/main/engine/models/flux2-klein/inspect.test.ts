// FLUX.2 klein folders as the product meets them: recognised from their files
// and never mistaken for Z-Image or FLUX.1 (nor those for klein), step-distilled
// told from Base and 4B from 9B, loaded through the engine's one loader.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Flux2ConfigSchema } from '../../../../../main/engine/models/flux2-klein/config.ts';
import { inspectKleinFolder, kleinSize, looksLikeKlein } from '../../../../../main/engine/models/flux2-klein/inspect.ts';
import { Flux2KleinModel, kleinName } from '../../../../../main/engine/models/flux2-klein/klein-model.ts';
import { looksLikeFlux1 } from '../../../../../main/engine/models/flux1/inspect.ts';
import { checkModelFolder, loadModel, modelKind } from '../../../../../main/engine/models/load-model.ts';
import { looksLikeZImage } from '../../../../../main/engine/models/z-image/inspect.ts';
import { tinyWeights, writeTinyFlux1 } from '../../../../support/flux1-fixture.ts';
import { mx } from '../../../../support/mlx.ts';
import { FLUX2_KLEIN_FIXTURE } from './support.ts';

const FIXTURES = new URL('../../../../fixtures/', import.meta.url).pathname;
const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A copy of the klein fixture under `name`, to rename or break. */
function kleinCopy(name = 'flux2-klein'): string {
  const root = mkdtempSync(join(tmpdir(), 'klein-'));
  made.push(root);
  const dir = join(root, name);
  cpSync(FLUX2_KLEIN_FIXTURE, dir, { recursive: true });
  return dir;
}

function editIndex(dir: string, edit: (index: Record<string, unknown>) => void): void {
  const file = join(dir, 'model_index.json');
  const index = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(index);
  writeFileSync(file, JSON.stringify(index));
}

describe('which family reads a folder', () => {
  const flux1 = writeTinyFlux1(tinyWeights('schnell'), { transformer: 'diffusers', vae: 'diffusers' });
  made.push(flux1);

  it('reads a klein folder as klein, through checkModelFolder with its variant', () => {
    expect(modelKind(FLUX2_KLEIN_FIXTURE)).toBe('flux2-klein');
    expect(checkModelFolder(FLUX2_KLEIN_FIXTURE)).toEqual({ kind: 'flux2-klein', variant: 'distilled', problems: [] });
  });

  it("is not claimed by Z-Image's or FLUX.1's recogniser, and klein's claims neither of theirs", () => {
    expect(looksLikeZImage(FLUX2_KLEIN_FIXTURE)).toBe(false);
    expect(looksLikeFlux1(FLUX2_KLEIN_FIXTURE)).toBe(false);
    for (const dir of [join(FIXTURES, 'z-image-turbo'), join(FIXTURES, 'z-image-base'), flux1]) expect(looksLikeKlein(dir)).toBe(false);
    expect(modelKind(join(FIXTURES, 'z-image-turbo'))).toBe('z-image');
    expect(modelKind(flux1)).toBe('flux1');
  });

  it('reads a klein folder without model_index.json as klein by its transformer, and names the missing file', () => {
    const dir = kleinCopy();
    rmSync(join(dir, 'model_index.json'));
    expect(modelKind(dir)).toBe('flux2-klein');
    expect(checkModelFolder(dir).problems.map((p) => p.message).join('\n')).toMatch(/model_index\.json is missing; .*is_distilled/);
  });

  it('leaves FLUX.2 [dev] (Flux2Pipeline) to no family rather than misreading it as klein', () => {
    const dir = kleinCopy();
    editIndex(dir, (index) => (index._class_name = 'Flux2Pipeline'));
    expect(looksLikeKlein(dir)).toBe(false);
    expect(looksLikeFlux1(dir)).toBe(false);
    expect(checkModelFolder(dir).problems[0]!.message).toMatch(/holds no model the engine knows: .*FLUX\.2 klein 4B or 9B folder/);
  });
});

describe('step-distilled or Base', () => {
  it("follows model_index.json's is_distilled, and diffusers' default (Base) when it is silent", () => {
    const dir = kleinCopy();
    editIndex(dir, (index) => (index.is_distilled = false));
    expect(inspectKleinFolder(dir).variant).toBe('base');
    editIndex(dir, (index) => delete index.is_distilled);
    expect(inspectKleinFolder(dir).variant).toBe('base');
    editIndex(dir, (index) => (index.is_distilled = 'yes'));
    expect(checkModelFolder(dir).problems[0]!.message).toMatch(/is_distilled must be true or false, got "yes"/);
  });

  it('gives each variant its defaults and name', async () => {
    const dir = kleinCopy();
    editIndex(dir, (index) => (index.is_distilled = false));
    const base = await loadModel(mx, dir);
    expect(base).toBeInstanceOf(Flux2KleinModel);
    expect(base.info).toMatchObject({ id: 'flux2-klein-base', name: 'FLUX.2 [klein] Base' });
    expect(base.defaults).toMatchObject({ steps: 50, guidanceScale: 4, guidanceRule: 'above-one', empiricalMu: true });
    const distilled = await loadModel(mx, FLUX2_KLEIN_FIXTURE);
    expect(distilled.info).toMatchObject({ id: 'flux2-klein-distilled', name: 'FLUX.2 [klein]' });
    expect(distilled.defaults).toMatchObject({ steps: 4, guidanceScale: 1, guidanceRule: 'never' });
  });
});

describe('4B or 9B', () => {
  const released = (num_layers: number, num_single_layers: number, num_attention_heads: number, joint_attention_dim: number) =>
    Flux2ConfigSchema.parse({ num_layers, num_single_layers, num_attention_heads, joint_attention_dim, guidance_embeds: false });

  it("is read from the transformer's config (5 + 20 blocks of 24 heads, 8 + 24 of 32), and named", () => {
    expect(kleinSize(released(5, 20, 24, 7680))).toBe('4B');
    expect(kleinSize(released(8, 24, 32, 12288))).toBe('9B');
    expect(kleinSize(released(1, 2, 2, 48))).toBeUndefined();
    expect(inspectKleinFolder(FLUX2_KLEIN_FIXTURE).size).toBeUndefined();
    expect(kleinName({ variant: 'distilled', size: '4B' })).toBe('FLUX.2 [klein] 4B');
    expect(kleinName({ variant: 'base', size: '9B' })).toBe('FLUX.2 [klein] 9B Base');
  });
});
