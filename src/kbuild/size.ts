import { execa } from 'execa';

export interface SectionSizes {
  text: number;
  data: number;
  bss: number;
}

/** argv for binutils' size, Berkeley format. Pure. */
export const sizeArgs = (file: string) => ['size', '-B', file];

/** Parses `size -B` output ("text data bss dec hex filename"). Pure. */
export function parseSize(out: string): SectionSizes | undefined {
  const line = out.trim().split('\n')[1];
  const m = line && /^\s*(\d+)\s+(\d+)\s+(\d+)\s/.exec(line);
  return m ? { text: Number(m[1]), data: Number(m[2]), bss: Number(m[3]) } : undefined;
}

export async function vmlinuxSize(file: string): Promise<SectionSizes | undefined> {
  const [cmd, ...args] = sizeArgs(file);
  const r = await execa(cmd!, args, { reject: false });
  return r.exitCode === 0 ? parseSize(r.stdout) : undefined;
}

/** b - a per section. Pure. */
export function sizeDelta(a: SectionSizes | undefined, b: SectionSizes | undefined): SectionSizes | undefined {
  return a && b ? { text: b.text - a.text, data: b.data - a.data, bss: b.bss - a.bss } : undefined;
}
