import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A small Kconfig reader, enough to say why a symbol did not stick: for each
 * `config SYM` it records its own `depends on` plus the `if` blocks and menu
 * `depends on` around it, following `source` from arch/x86/Kconfig (so a
 * whole file sourced inside `if VIRTUALIZATION` inherits that condition).
 */
export interface SymbolInfo {
  file: string;
  /** Conditions that must hold, as Kconfig expressions. */
  conditions: string[];
  /** Symbols that `select` this one. */
  selectedBy: string[];
}

export type KconfigIndex = Map<string, SymbolInfo>;

/** Reads one Kconfig text; `read` resolves `source` lines. Pure apart from `read`. */
export async function indexKconfig(
  root: string,
  read: (path: string) => Promise<string | undefined>,
): Promise<KconfigIndex> {
  const index: KconfigIndex = new Map();
  const selects: [string, string][] = [];
  const visited = new Set<string>();

  async function walk(path: string, inherited: string[]) {
    if (visited.has(path)) return;
    visited.add(path);
    const text = await read(path);
    if (text === undefined) return;
    const stack: { kind: 'if' | 'menu' | 'choice'; cond?: string }[] = [];
    const active = () => [...inherited, ...stack.map((s) => s.cond).filter((c): c is string => !!c)];
    let current: string | undefined;
    let inMenuHeader = false;
    for (const raw of text.split('\n')) {
      const line = raw.replace(/\t/g, ' ').trim();
      let m: RegExpExecArray | null;
      if ((m = /^(?:menu)?config\s+([A-Za-z0-9_]+)/.exec(line))) {
        current = m[1]!;
        inMenuHeader = false;
        const info = index.get(current) ?? { file: path, conditions: [], selectedBy: [] };
        info.conditions.push(...active());
        index.set(current, info);
      } else if ((m = /^if\s+(.+)$/.exec(line))) {
        current = undefined;
        stack.push({ kind: 'if', cond: m[1]! });
      } else if (/^menu\s/.test(line)) {
        current = undefined;
        inMenuHeader = true;
        stack.push({ kind: 'menu' });
      } else if (/^choice\b/.test(line)) {
        current = undefined;
        stack.push({ kind: 'choice' });
      } else if (/^(endif|endmenu|endchoice)\b/.test(line)) {
        current = undefined;
        stack.pop();
      } else if ((m = /^source\s+"?([^"\s]+)"?/.exec(line))) {
        current = undefined;
        await walk(m[1]!, active());
      } else if ((m = /^depends\s+on\s+(.+)$/.exec(line))) {
        if (current) index.get(current)!.conditions.push(m[1]!);
        else if (inMenuHeader && stack.length) stack[stack.length - 1]!.cond = m[1]!;
      } else if ((m = /^select\s+([A-Za-z0-9_]+)/.exec(line))) {
        if (current) selects.push([m[1]!, current]);
      } else if (/^(comment|mainmenu)\b/.test(line)) {
        current = undefined;
        inMenuHeader = false;
      }
    }
  }

  await walk(root, []);
  for (const [target, by] of selects) index.get(target)?.selectedBy.push(by);
  return index;
}

export async function indexTreeKconfig(srcDir: string, arch = 'x86'): Promise<KconfigIndex> {
  return indexKconfig(`arch/${arch}/Kconfig`, (p) => readFile(join(srcDir, p), 'utf8').catch(() => undefined));
}

/**
 * The symbols named in `sym`'s conditions that are off in the final config:
 * the most likely reason it did not stick. Pure.
 */
export function missingDependencies(index: KconfigIndex, sym: string, final: Map<string, string>): string[] {
  const info = index.get(sym);
  if (!info) return [];
  const out = new Set<string>();
  for (const cond of info.conditions) {
    // Only positive references: "A && !B" needs A on; !B is reported by its own value.
    for (const m of cond.matchAll(/(!?)\b([A-Z][A-Z0-9_]*)\b/g)) {
      const [, neg, name] = m;
      if (neg || name === 'y' || name === 'n' || name === 'm') continue;
      const v = final.get(name!) ?? 'n';
      if (v === 'n') out.add(name!);
    }
  }
  return [...out];
}
