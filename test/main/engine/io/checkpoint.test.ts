// Checkpoints across files: headers only until a tensor is taken, sharded
// indexes checked against their shards, precise errors.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Checkpoint } from '../../../../main/engine/io/checkpoint.ts';
import { mx, values } from '../../../support/mlx.ts';

const dirs: string[] = [];
function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('Checkpoint', () => {
  it('indexes every file of a folder and takes tensors lazily, once each', () => {
    const dir = folder();
    mx.saveSafetensors(join(dir, 'a.safetensors'), { x: mx.array([1, 2, 3]) });
    mx.saveSafetensors(join(dir, 'b.safetensors'), { y: mx.array([[4, 5]]).astype(mx.bfloat16) });
    const checkpoint = Checkpoint.fromDir(dir);
    expect([...checkpoint.tensors.keys()].sort()).toEqual(['x', 'y']);
    expect(checkpoint.entry('y')).toMatchObject({ dtype: 'BF16', shape: [1, 2] });
    expect(checkpoint.bytes()).toBe(12 + 4);
    expect(values(checkpoint.take(mx, 'x'))).toEqual([1, 2, 3]);
    expect(() => checkpoint.take(mx, 'x')).toThrow(/lost tensor "x"/);
    checkpoint.close();
    expect(values(checkpoint.take(mx, 'x'))).toEqual([1, 2, 3]);
  });

  it('refuses an index that does not match its shards', () => {
    const dir = folder();
    mx.saveSafetensors(join(dir, 'model-00001-of-00001.safetensors'), { x: mx.array([1]) });
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { x: 'model-00001-of-00001.safetensors', z: 'model-00001-of-00001.safetensors' } }));
    expect(() => Checkpoint.fromDir(dir)).toThrow(/index\.json says "z" is in model-00001-of-00001\.safetensors, but no shard holds it/);
    writeFileSync(join(dir, 'model.safetensors.index.json'), '{"metadata": {}}');
    expect(() => Checkpoint.fromDir(dir)).toThrow(/is not a valid sharded-checkpoint index: it has no "weight_map" object/);
  });

  it('refuses a tensor stored twice', () => {
    const dir = folder();
    mx.saveSafetensors(join(dir, 'a.safetensors'), { x: mx.array([1]) });
    mx.saveSafetensors(join(dir, 'b.safetensors'), { x: mx.array([1]) });
    expect(() => Checkpoint.fromDir(dir)).toThrow(/"x" appears in both .*a\.safetensors and .*b\.safetensors/);
  });

  it('says that only safetensors are read when a folder has PyTorch files', () => {
    const dir = folder();
    writeFileSync(join(dir, 'pytorch_model.bin'), 'x');
    expect(() => Checkpoint.fromDir(dir)).toThrow(/has no \.safetensors file\. It holds pytorch_model\.bin: only safetensors are read/);
    expect(() => Checkpoint.fromDir(join(dir, 'nope'), 'vae/')).toThrow(/does not exist; expected vae\/ with safetensors weights/);
  });

  it('lists every mismatch against expected shapes at once, with advice for fp8', () => {
    const dir = folder();
    mx.saveSafetensors(join(dir, 'm.safetensors'), { a: mx.zeros([2, 3]), b: mx.zeros([4]).astype(mx.int32), extra: mx.zeros([1]) });
    const checkpoint = Checkpoint.fromDir(dir, 'part/');
    expect(() => checkpoint.check({ a: [3, 2], b: [4], c: [1] }, { what: 'the test part' })).toThrow(
      /part\/ .* does not match the test part: "a" in m\.safetensors has shape \[2, 3\], expected \[3, 2\]; "b" in m\.safetensors is I32, expected one of F32, F16, BF16 .*; missing "c" \(expected shape \[1\]\); unexpected "extra"/,
    );
    expect(() => checkpoint.check({ a: [2, 3], b: [4], extra: [1] }, { ignore: /^b$/ })).toThrow(/"b" .* is I32/);
  });
});
