// Binary identification for the dist gate: real and synthetic headers of each format the app ships.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { elfHeader, MACH_ARM64, MACH_X64, machOHeader, METALLIB } from '../support/fake-binaries.ts';
import { binaryKind, isLfsPointer, isMetallib, LINUX_X64, MAC_ARM64, MLX_BINDING, mlxDownloadUrls, runsOn } from '../../scripts/binaries.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'binaries-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function file(name: string, bytes: Buffer | string): string {
  const path = join(scratch, name);
  writeFileSync(path, bytes);
  return path;
}

describe('binaryKind', () => {
  it("reads the Linux x64 build that npm ships in @frost-beta/mlx", () => {
    const kind = binaryKind(join(ROOT, MLX_BINDING));
    expect(kind).toEqual({ format: 'elf', arch: 'x64' });
    expect(runsOn(kind, LINUX_X64)).toBe(true);
    expect(runsOn(kind, MAC_ARM64)).toBe(false);
  });

  it('tells arm64 from x64 Mach-O, and reads universal binaries', () => {
    const arm = binaryKind(file('arm.node', machOHeader(MACH_ARM64)));
    const intel = binaryKind(file('intel.node', machOHeader(MACH_X64)));
    expect(arm).toEqual({ format: 'mach-o', archs: ['arm64'] });
    expect(runsOn(arm, MAC_ARM64)).toBe(true);
    expect(runsOn(intel, MAC_ARM64)).toBe(false);
    const fat = Buffer.alloc(64);
    fat.writeUInt32BE(0xcafebabe, 0);
    fat.writeUInt32BE(2, 4);
    fat.writeUInt32BE(0x01000007, 8);
    fat.writeUInt32BE(0x0100000c, 28);
    const universal = binaryKind(file('fat.dylib', fat));
    expect(universal).toEqual({ format: 'mach-o', archs: ['x64', 'arm64'] });
    expect(runsOn(universal, MAC_ARM64)).toBe(true);
  });

  it('reads an arm64 ELF and reports missing and unknown files', () => {
    expect(binaryKind(file('arm.so', elfHeader(0xb7)))).toEqual({ format: 'elf', arch: 'arm64' });
    expect(binaryKind(join(scratch, 'absent.node'))).toEqual({ format: 'missing' });
    expect(binaryKind(file('text.node', 'not a binary'))).toEqual({ format: 'unknown' });
  });
});

describe('content checks', () => {
  it('recognises a Metal library and a Git LFS pointer', () => {
    expect(isMetallib(file('mlx.metallib', METALLIB))).toBe(true);
    expect(isMetallib(file('fake.metallib', 'gzip leftovers'))).toBe(false);
    expect(isLfsPointer(file('w.safetensors', 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n'))).toBe(true);
    expect(isLfsPointer(file('real.safetensors', Buffer.alloc(64, 1)))).toBe(false);
  });

  it("names the package's own release URLs for the Metal build", () => {
    expect(mlxDownloadUrls('0.0.7')).toEqual({
      binding: 'https://github.com/frost-beta/node-mlx/releases/download/v0.0.7/mlx-mac-arm64.node.gz',
      metallib: 'https://github.com/frost-beta/node-mlx/releases/download/v0.0.7/mlx-mac-arm64.metallib.gz',
    });
  });
});
