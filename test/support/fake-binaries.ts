// Minimal file headers of the binary formats the packaging checks tell apart; for tests only, never loadable.

/** A 64-bit little-endian Mach-O header for one CPU type (0x0100000c arm64, 0x01000007 x86_64). */
export function machOHeader(cpu: number): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32LE(0xfeedfacf, 0);
  b.writeUInt32LE(cpu, 4);
  return b;
}

export const MACH_ARM64 = 0x0100000c;

/**
 * A 64-bit Mach-O for one CPU type whose load commands link `libraries` (LC_LOAD_DYLIB) and list `rpaths`
 * (LC_RPATH), as dyld reads them; `universal` wraps it in a fat header, as lipo does.
 */
export function machOLinking(cpu: number, libraries: readonly string[], rpaths: readonly string[], universal = false): Buffer {
  const command = (cmd: number, fixed: number, text: string) => {
    const size = Math.ceil((fixed + Buffer.byteLength(text) + 1) / 8) * 8;
    const b = Buffer.alloc(size);
    b.writeUInt32LE(cmd, 0);
    b.writeUInt32LE(size, 4);
    b.writeUInt32LE(fixed, 8);
    b.write(text, fixed, 'utf8');
    return b;
  };
  const commands = [
    ...libraries.map((name) => command(0xc, 24, name)),
    ...rpaths.map((path) => command(0x8000001c, 12, path)),
  ];
  const header = machOHeader(cpu).subarray(0, 32);
  header.writeUInt32LE(commands.length, 16);
  header.writeUInt32LE(commands.reduce((sum, c) => sum + c.length, 0), 20);
  const thin = Buffer.concat([header, ...commands]);
  if (!universal) return thin;
  const fat = Buffer.alloc(4096);
  fat.writeUInt32BE(0xcafebabe, 0);
  fat.writeUInt32BE(2, 4);
  fat.writeUInt32BE(MACH_X64, 8);
  fat.writeUInt32BE(cpu, 28);
  fat.writeUInt32BE(4096, 36);
  fat.writeUInt32BE(thin.length, 40);
  return Buffer.concat([fat, thin]);
}
export const MACH_X64 = 0x01000007;

/** A little-endian ELF header for one machine (0x3e x86-64, 0xb7 aarch64). */
export function elfHeader(machine: number): Buffer {
  const b = Buffer.alloc(64);
  b.write('\x7fELF', 0, 'latin1');
  b[4] = 2;
  b[5] = 1;
  b.writeUInt16LE(machine, 18);
  return b;
}

/** The first bytes of a Metal library. */
export const METALLIB = Buffer.concat([Buffer.from('MTLB', 'latin1'), Buffer.alloc(60)]);
