/**
 * A user's workload for freeze-under-load, checked before anything is
 * built: the guest is a 2.6.27 kernel with nothing but the rig's static
 * helper in its initramfs, so the binary must be a static ELF executable
 * for x86_64 or i386 that does not need a newer kernel.
 */
import { readFile } from 'node:fs/promises';
import { inputError } from '../errors.ts';

const PT_INTERP = 3;
const PT_NOTE = 4;
const EM_386 = 3;
const EM_X86_64 = 62;
/** The kernel the guest runs: a binary whose ABI note asks for more dies at start ("FATAL: kernel too old"). */
const GUEST_KERNEL = [2, 6, 27] as const;

/**
 * Why this ELF image cannot run as the guest's workload, or undefined if it
 * can. Reads the header, the program headers (an interpreter means dynamic
 * linking) and the GNU ABI note (the oldest kernel glibc will start on). Pure.
 */
export function workloadProblem(b: Buffer): string | undefined {
  if (b.length < 52 || b.readUInt32BE(0) !== 0x7f454c46) return 'not an ELF executable (a script needs a shell and an interpreter, which the guest does not have)';
  const is64 = b[4] === 2;
  if (b[5] !== 1) return 'not a little-endian ELF: the guest is x86';
  const machine = b.readUInt16LE(18);
  if (machine !== EM_X86_64 && machine !== EM_386) return `built for ELF machine ${machine}, not x86_64 (62) or i386 (3): the guest is an x86_64 kernel with IA32 emulation`;
  const type = b.readUInt16LE(16);
  if (type !== 2 && type !== 3) return `an ELF file of type ${type}, not an executable`;
  const phoff = is64 ? Number(b.readBigUInt64LE(32)) : b.readUInt32LE(28);
  const phentsize = b.readUInt16LE(is64 ? 54 : 42);
  const phnum = b.readUInt16LE(is64 ? 56 : 44);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + phentsize > b.length) return 'a truncated ELF file (its program headers run past its end)';
    const kind = b.readUInt32LE(at);
    const offset = is64 ? Number(b.readBigUInt64LE(at + 8)) : b.readUInt32LE(at + 4);
    const size = is64 ? Number(b.readBigUInt64LE(at + 32)) : b.readUInt32LE(at + 16);
    if (kind === PT_INTERP) {
      const interp = b.subarray(offset, offset + size).toString('latin1').replace(/\0.*$/s, '');
      return `dynamically linked (it asks for the loader ${interp}): the guest has no loader and no libraries; build it static, e.g. with musl-gcc -static`;
    }
    if (kind === PT_NOTE) {
      const needs = abiTagKernel(b.subarray(offset, offset + size));
      if (needs && compareVersions(needs, GUEST_KERNEL) > 0) {
        return `its C library asks for Linux ${needs.join('.')} or later (the GNU ABI note; glibc then dies with "FATAL: kernel too old"), and the guest runs ${GUEST_KERNEL.join('.')}: build it with musl-gcc -static`;
      }
    }
  }
  return undefined;
}

/** The kernel version in a GNU ABI tag note (NT_GNU_ABI_TAG), if the notes hold one. Pure. */
function abiTagKernel(notes: Buffer): number[] | undefined {
  for (let at = 0; at + 12 <= notes.length; ) {
    const namesz = notes.readUInt32LE(at);
    const descsz = notes.readUInt32LE(at + 4);
    const type = notes.readUInt32LE(at + 8);
    const name = notes.subarray(at + 12, at + 12 + namesz).toString('latin1');
    const desc = at + 12 + align4(namesz);
    if (type === 1 && name === 'GNU\0' && descsz >= 16 && desc + 16 <= notes.length) {
      // os (0 = Linux), then major, minor, sub
      if (notes.readUInt32LE(desc) === 0) return [notes.readUInt32LE(desc + 4), notes.readUInt32LE(desc + 8), notes.readUInt32LE(desc + 12)];
    }
    at = desc + align4(descsz);
  }
  return undefined;
}

const align4 = (n: number) => (n + 3) & ~3;
const compareVersions = (a: readonly number[], b: readonly number[]) => {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
};

/** Reads the workload and throws an input error that says what to do when it cannot run in the guest. */
export async function checkWorkload(binary: string): Promise<void> {
  let b: Buffer;
  try {
    b = await readFile(binary);
  } catch (e) {
    throw inputError(`--workload ${binary}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { hint: 'give the path of a static x86_64 or i386 executable, e.g. a musl-gcc -static build of fsstress' });
  }
  const why = workloadProblem(b);
  if (why) throw inputError(`--workload ${binary}: ${why}`, { hint: 'the guest runs Linux 2.6.27 with only the rig\'s static helper: give a static x86_64 or i386 executable (musl-gcc -static)' });
}
