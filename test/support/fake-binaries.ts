// Minimal file headers of the binary formats the packaging checks tell apart; for tests only, never loadable.

/** A 64-bit little-endian Mach-O header for one CPU type (0x0100000c arm64, 0x01000007 x86_64). */
export function machOHeader(cpu: number): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32LE(0xfeedfacf, 0);
  b.writeUInt32LE(cpu, 4);
  return b;
}

export const MACH_ARM64 = 0x0100000c;
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
