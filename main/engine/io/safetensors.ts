// Reads and checks a safetensors header without loading tensors, so that a
// truncated or corrupt file is refused with a precise message before MLX maps
// it lazily (MLX reads the data only at evaluation time). Runs in Node.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { EngineError } from '../../core/errors.ts';

const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E4M3: 1, F8_E5M2: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8,
};

/** Headers larger than this are not safetensors written by any real tool. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface TensorInfo {
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Byte range within the data section. */
  readonly dataOffsets: readonly [number, number];
}

export interface SafetensorsHeader {
  readonly tensors: Readonly<Record<string, TensorInfo>>;
  readonly metadata: Readonly<Record<string, string>>;
  readonly fileBytes: number;
}

function invalid(file: string, problem: string): EngineError {
  return new EngineError('MODEL_INVALID', `${file} is not a valid safetensors file: ${problem}. Download or export it again.`, { file, problem });
}

export function readSafetensorsHeader(file: string): SafetensorsHeader {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new EngineError(
      code === 'ENOENT' ? 'MODEL_NOT_FOUND' : 'MODEL_INVALID',
      code === 'ENOENT' ? `The weights file ${file} does not exist.` : `Could not open ${file}: ${(error as Error).message}`,
      { file },
      { cause: error },
    );
  }
  try {
    const fileBytes = fstatSync(fd).size;
    if (fileBytes < 8) throw invalid(file, `it has ${fileBytes} bytes, fewer than the 8-byte header length`);
    const lengthBuffer = Buffer.alloc(8);
    readSync(fd, lengthBuffer, 0, 8, 0);
    const headerBytes = Number(lengthBuffer.readBigUInt64LE(0));
    if (headerBytes > MAX_HEADER_BYTES || 8 + headerBytes > fileBytes) {
      throw invalid(file, `the header claims ${headerBytes} bytes but the file has ${fileBytes} (truncated?)`);
    }
    const headerBuffer = Buffer.alloc(headerBytes);
    readSync(fd, headerBuffer, 0, headerBytes, 8);
    let raw: unknown;
    try {
      raw = JSON.parse(headerBuffer.toString('utf8'));
    } catch {
      throw invalid(file, 'its header is not JSON');
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid(file, 'its header is not a JSON object');

    const tensors: Record<string, TensorInfo> = {};
    let metadata: Record<string, string> = {};
    let dataEnd = 0;
    for (const [name, entry] of Object.entries(raw as Record<string, unknown>)) {
      if (name === '__metadata__') {
        metadata = entry as Record<string, string>;
        continue;
      }
      const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      const itemBytes = typeof dtype === 'string' ? DTYPE_BYTES[dtype] : undefined;
      if (itemBytes === undefined) throw invalid(file, `tensor "${name}" has unknown dtype ${JSON.stringify(dtype)}`);
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
        throw invalid(file, `tensor "${name}" has a malformed shape ${JSON.stringify(shape)}`);
      }
      if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
        throw invalid(file, `tensor "${name}" has malformed data_offsets ${JSON.stringify(offsets)}`);
      }
      const [begin, end] = offsets as [number, number];
      const expected = shape.reduce((a: number, b: number) => a * b, 1) * itemBytes;
      if (end - begin !== expected) {
        throw invalid(file, `tensor "${name}" (${dtype} [${shape.join(', ')}]) needs ${expected} bytes but its offsets span ${end - begin}`);
      }
      dataEnd = Math.max(dataEnd, end);
      tensors[name] = { dtype: dtype as string, shape: shape as number[], dataOffsets: [begin, end] };
    }
    const dataBytes = fileBytes - 8 - headerBytes;
    if (dataEnd > dataBytes) {
      throw invalid(file, `its tensors need ${dataEnd} bytes of data but only ${dataBytes} are present (the file is truncated)`);
    }
    return { tensors, metadata, fileBytes };
  } finally {
    closeSync(fd);
  }
}
