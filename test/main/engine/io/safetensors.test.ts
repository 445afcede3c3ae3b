// Header checks catch broken weights files before MLX maps them lazily.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensorsHeader } from '../../../../main/engine/io/safetensors.ts';
import { mx } from '../../../support/mlx.ts';

const dir = mkdtempSync(join(tmpdir(), 'safetensors-'));
const good = join(dir, 'good.safetensors');
mx.saveSafetensors(good, { 'x.weight': mx.ones([4, 8]), 'x.bias': mx.zeros([8], mx.float16) }, { format: 'mlx' });
const bytes = readFileSync(good);

function withBytes(name: string, content: Uint8Array): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** A file with the given JSON header and `dataBytes` zero bytes of data. */
function craft(name: string, header: unknown, dataBytes: number): string {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return withBytes(name, Buffer.concat([length, json, Buffer.alloc(dataBytes)]));
}

describe('readSafetensorsHeader', () => {
  it('lists tensors with dtype, shape and offsets, and the metadata', () => {
    const header = readSafetensorsHeader(good);
    expect(header.tensors['x.weight']).toMatchObject({ dtype: 'F32', shape: [4, 8] });
    expect(header.tensors['x.bias']).toMatchObject({ dtype: 'F16', shape: [8] });
    expect(header.metadata).toEqual({ format: 'mlx' });
  });

  it.each([
    ['empty', () => withBytes('empty.safetensors', new Uint8Array(3)), /fewer than the 8-byte header length/],
    ['truncated data', () => withBytes('short.safetensors', bytes.subarray(0, bytes.length - 10)), /file is truncated/],
    ['truncated header', () => withBytes('header.safetensors', bytes.subarray(0, 20)), /header claims \d+ bytes but the file has 20/],
    ['not JSON', () => craft('json.safetensors', 'x', 0), /not a JSON object/],
    ['bad dtype', () => craft('dtype.safetensors', { w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, 16), /"w" has unknown dtype "F128"/],
    ['wrong byte span', () => craft('span.safetensors', { w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 8] } }, 8), /needs 16 bytes but its offsets span 8/],
  ])('refuses a file with %s, naming it', (_, make, message) => {
    const file = make();
    expect(() => readSafetensorsHeader(file)).toThrow(message);
    expect(() => readSafetensorsHeader(file)).toThrow(expect.objectContaining({ code: 'MODEL_INVALID', message: expect.stringContaining(file) }));
  });
});
