// What the packaged app needs in native binaries and where each comes from: identifies a binary's format and CPU
// from its header, and names the platform binaries `npm run fetch:binaries` fetches. Reads files only; no network.

import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';

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

/** What a Mach-O binary asks the dynamic loader for: the libraries it links and where @rpath looks, in order. */
export interface MachOLinks {
  readonly libraries: readonly string[];
  readonly rpaths: readonly string[];
}

const LC_REQ_DYLD = 0x80000000;
const LC_LOAD_DYLIB = 0xc;
const LC_LOAD_WEAK_DYLIB = (0x18 | LC_REQ_DYLD) >>> 0;
const LC_REEXPORT_DYLIB = (0x1f | LC_REQ_DYLD) >>> 0;
const LC_RPATH = (0x1c | LC_REQ_DYLD) >>> 0;
const CPU_TYPES: Record<CpuArch, number> = { x64: 0x01000007, arm64: 0x0100000c, other: -1 };

/**
 * The load commands of the `arch` slice of a 64-bit Mach-O file (thin or universal) that name libraries and
 * rpaths; null when the file is no such binary or has no slice for `arch`.
 */
export function machOLinks(file: string, arch: CpuArch): MachOLinks | null {
  if (!existsSync(file)) return null;
  const bytes = readFileSync(file);
  const offset = machOSlice(bytes, arch);
  if (offset === null || bytes.length < offset + 32 || bytes.readUInt32LE(offset) !== 0xfeedfacf) return null;
  const libraries: string[] = [];
  const rpaths: string[] = [];
  const commands = bytes.readUInt32LE(offset + 16);
  let at = offset + 32;
  for (let i = 0; i < commands && at + 12 <= bytes.length; i++) {
    const cmd = bytes.readUInt32LE(at);
    const size = bytes.readUInt32LE(at + 4);
    if (size < 8 || at + size > bytes.length) return null;
    // Both commands hold their string at an offset from the command's start (an lc_str), NUL-terminated.
    const text = () => {
      const start = at + bytes.readUInt32LE(at + 8);
      const end = bytes.indexOf(0, start);
      return bytes.toString('utf8', start, end < 0 || end > at + size ? at + size : end);
    };
    if (cmd === LC_LOAD_DYLIB || cmd === LC_LOAD_WEAK_DYLIB || cmd === LC_REEXPORT_DYLIB) libraries.push(text());
    else if (cmd === LC_RPATH) rpaths.push(text());
    at += size;
  }
  return { libraries, rpaths };
}

/** Where the `arch` slice starts: 0 in a thin file, its fat_arch offset in a universal one. */
function machOSlice(bytes: Buffer, arch: CpuArch): number | null {
  if (bytes.length < 8) return null;
  if (bytes.readUInt32LE(0) === 0xfeedfacf) return bytes.readUInt32LE(4) === CPU_TYPES[arch] ? 0 : null;
  const magic = bytes.readUInt32BE(0);
  if (magic !== 0xcafebabe && magic !== 0xcafebabf) return null;
  const entry = magic === 0xcafebabe ? 20 : 32;
  for (let i = 0; i < bytes.readUInt32BE(4) && 8 + (i + 1) * entry <= bytes.length; i++) {
    const base = 8 + i * entry;
    if (bytes.readUInt32BE(base) !== CPU_TYPES[arch]) continue;
    return entry === 20 ? bytes.readUInt32BE(base + 8) : Number(bytes.readBigUInt64BE(base + 8));
  }
  return null;
}
