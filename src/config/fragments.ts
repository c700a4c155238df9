import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { inputError } from '../errors.ts';
import { repoPath } from '../paths.ts';

/** y, m, n, or a literal value ("string", 123, 0x10). */
export type ConfigValue = string;

export interface Fragment {
  name: string;
  symbols: Map<string, ConfigValue>;
}

/**
 * Parses a config fragment (or a whole .config): CONFIG_X=value lines and
 * "# CONFIG_X is not set" (= n). Pure; errors name the line.
 */
export function parseConfig(text: string, name = 'fragment'): Fragment {
  const symbols = new Map<string, ConfigValue>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line))) symbols.set(m[1]!.slice(7), 'n');
    else if ((m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line))) symbols.set(m[1]!.slice(7), m[2]!);
    else if (line && !line.startsWith('#')) throw inputError(`${name}:${i + 1}: not a config line: ${line}`);
  });
  return { name, symbols };
}

/** The CPUs a kernel's .config runs on: NR_CPUS for an SMP kernel, else 1. Pure. */
export function cpusOf(config: string): number {
  const s = parseConfig(config.split('\n').filter((l) => /^(# )?CONFIG_/.test(l)).join('\n'), '.config').symbols;
  return s.get('SMP') === 'y' ? Number(s.get('NR_CPUS') ?? 2) : 1;
}

export interface Merge {
  /** The .config text to feed to oldconfig. */
  text: string;
  /** What was asked for, after later fragments override earlier ones. */
  requested: Map<string, ConfigValue>;
  /** Symbols set by more than one fragment to different values: later wins. */
  overrides: { symbol: string; from: string; to: string; by: string }[];
}

const line = (sym: string, v: ConfigValue) => (v === 'n' ? `# CONFIG_${sym} is not set` : `CONFIG_${sym}=${v}`);

/**
 * Merges fragments onto a base .config (allnoconfig's output): each requested
 * symbol replaces its line in place or is appended. Pure.
 */
export function mergeConfig(baseText: string, fragments: Fragment[]): Merge {
  const requested = new Map<string, ConfigValue>();
  const setBy = new Map<string, string>();
  const overrides: Merge['overrides'] = [];
  for (const f of fragments) {
    for (const [sym, v] of f.symbols) {
      const prev = requested.get(sym);
      if (prev !== undefined && prev !== v) overrides.push({ symbol: sym, from: prev, to: v, by: f.name });
      requested.set(sym, v);
      setBy.set(sym, f.name);
    }
  }
  const done = new Set<string>();
  const out = baseText.split('\n').map((l) => {
    const m = /^(?:# )?CONFIG_([A-Za-z0-9_]+)(?:=| is not set)/.exec(l);
    if (!m || !requested.has(m[1]!)) return l;
    done.add(m[1]!);
    return line(m[1]!, requested.get(m[1]!)!);
  });
  while (out.length && out[out.length - 1] === '') out.pop();
  for (const [sym, v] of requested) if (!done.has(sym)) out.push(line(sym, v));
  return { text: out.join('\n') + '\n', requested, overrides };
}

export interface Mismatch {
  symbol: string;
  wanted: ConfigValue;
  got: ConfigValue;
}

/** Every requested symbol that oldconfig did not keep. Pure. */
export function verifyConfig(finalText: string, requested: Map<string, ConfigValue>): Mismatch[] {
  const final = parseConfig(finalText, '.config').symbols;
  const out: Mismatch[] = [];
  for (const [symbol, wanted] of requested) {
    const got = final.get(symbol) ?? 'n';
    if (got !== wanted) out.push({ symbol, wanted, got });
  }
  return out;
}

/** The fragments the rig uses when none are named. */
export const DEFAULT_FRAGMENTS = ['base-qemu-x86_64', 'timers', 'ext3', 'xfs', 'dm', 'debug', 'compat32'];

/** A fragment by name (kernel-config/NAME.config) or by path. */
export async function loadFragment(nameOrPath: string): Promise<Fragment & { text: string }> {
  const file = nameOrPath.includes('/') ? nameOrPath : repoPath('kernel-config', `${nameOrPath}.config`);
  const text = await readFile(file, 'utf8').catch(() => {
    throw inputError(`no config fragment ${nameOrPath} (looked for ${file})`, {
      hint: `fragments are kernel-config/*.config; the defaults are ${DEFAULT_FRAGMENTS.join(', ')}`,
    });
  });
  return { ...parseConfig(text, basename(file)), text };
}

/** Identity of a configuration request: the fragments' names and contents, in order. */
export function configHash(fragments: { name: string; text: string }[]): string {
  const h = createHash('sha256');
  for (const f of fragments) h.update(f.name).update('\0').update(f.text).update('\0');
  return h.digest('hex');
}

export const fragmentFile = (name: string) => join(repoPath('kernel-config'), `${name}.config`);
