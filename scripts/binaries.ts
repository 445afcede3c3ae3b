// What the packaged app needs in native binaries and where each comes from: identifies a binary's format and CPU
// from its header, and names the platform binaries `npm run fetch:binaries` fetches. Reads files only; no network.

import { closeSync, existsSync, openSync, readSync } from 'node:fs';

export type CpuArch = 'x64' | 'arm64' | 'other';

export type BinaryKind =
  | { readonly format: 'elf'; readonly arch: CpuArch }
  | { readonly format: 'mach-o'; readonly archs: readonly CpuArch[] }
  | { readonly format: 'missing' }
  | { readonly format: 'unknown' };

/** A platform the app is packaged for, as electron-builder names it, with the CPU its binaries must be built for. */
export interface PackPlatform {
  readonly target: 'mac' | 'linux';
  readonly arch: 'arm64' | 'x64';
  /** Human name for messages. */
  readonly label: string;
}

export const MAC_ARM64: PackPlatform = { target: 'mac', arch: 'arm64', label: 'macOS on Apple silicon (arm64)' };
export const LINUX_X64: PackPlatform = { target: 'linux', arch: 'x64', label: 'Linux x64' };

/** @frost-beta/mlx's binaries, relative to the project. */
export const MLX_PACKAGE_DIR = 'node_modules/@frost-beta/mlx';
export const MLX_BINDING = `${MLX_PACKAGE_DIR}/build/Release/mlx.node`;
export const MLX_METALLIB = `${MLX_PACKAGE_DIR}/build/Release/mlx.metallib`;
/** Our own addon's build folder (native/, optional). */
export const NATIVE_BUILD_DIR = 'native/build/Release';

/** Where @frost-beta/mlx's install script downloads its platform builds (one .gz per file). */
export function mlxDownloadUrls(version: string): { binding: string; metallib: string } {
  const prefix = `https://github.com/frost-beta/node-mlx/releases/download/v${version}/mlx-mac-arm64`;
  return { binding: `${prefix}.node.gz`, metallib: `${prefix}.metallib.gz` };
}

function readHead(file: string, length: number): Buffer | null {
  if (!existsSync(file)) return null;
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

const ELF_MACHINES: Record<number, CpuArch> = { 0x3e: 'x64', 0xb7: 'arm64' };
const MACH_CPUS: Record<number, CpuArch> = { 0x01000007: 'x64', 0x0100000c: 'arm64' };

/** The format and CPU of an executable or shared library, from its first bytes. */
export function binaryKind(file: string): BinaryKind {
  const head = readHead(file, 4096);
  if (head === null) return { format: 'missing' };
  if (head.length >= 20 && head[0] === 0x7f && head.toString('latin1', 1, 4) === 'ELF') {
    // e_machine, in the file's byte order (EI_DATA: 1 little-endian, 2 big-endian).
    const machine = head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
    return { format: 'elf', arch: ELF_MACHINES[machine] ?? 'other' };
  }
  if (head.length >= 8 && head.readUInt32LE(0) === 0xfeedfacf) {
    return { format: 'mach-o', archs: [MACH_CPUS[head.readUInt32LE(4)] ?? 'other'] };
  }
  if (head.length >= 8 && (head.readUInt32BE(0) === 0xcafebabe || head.readUInt32BE(0) === 0xcafebabf)) {
    // Universal binary: big-endian fat header, then 20-byte (fat_arch) or 32-byte (fat_arch_64) entries.
    const entry = head.readUInt32BE(0) === 0xcafebabe ? 20 : 32;
    const count = head.readUInt32BE(4);
    const archs: CpuArch[] = [];
    for (let i = 0; i < count && 8 + (i + 1) * entry <= head.length; i++) archs.push(MACH_CPUS[head.readUInt32BE(8 + i * entry)] ?? 'other');
    return { format: 'mach-o', archs };
  }
  return { format: 'unknown' };
}

export function describeKind(kind: BinaryKind): string {
  switch (kind.format) {
    case 'elf':
      return `a Linux (ELF) ${kind.arch} binary`;
    case 'mach-o':
      return `a macOS (Mach-O) binary for ${kind.archs.join(' + ') || 'no CPU'}`;
    case 'missing':
      return 'missing';
    case 'unknown':
      return 'not an executable format this check knows';
  }
}

/** True when a binary loads on the given platform. */
export function runsOn(kind: BinaryKind, platform: PackPlatform): boolean {
  if (platform.target === 'mac') return kind.format === 'mach-o' && kind.archs.includes(platform.arch);
  return kind.format === 'elf' && kind.arch === platform.arch;
}

/** A Metal library (what MLX's GPU kernels ship as) starts with the bytes "MTLB". */
export function isMetallib(file: string): boolean {
  const head = readHead(file, 4);
  return head !== null && head.toString('latin1') === 'MTLB';
}

/** A Git LFS pointer in place of the real file (a clone without `git lfs pull`). */
export function isLfsPointer(file: string): boolean {
  const head = readHead(file, 64);
  return head !== null && head.toString('utf8').startsWith('version https://git-lfs.github.com/spec/');
}
