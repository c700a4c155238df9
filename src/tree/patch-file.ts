import { inputError } from '../errors.ts';
import { safeRelativePath } from '../source/safe-path.ts';

/**
 * Pure reading of a unified diff: which files it touches (after -pN), so a
 * patch that would write outside its tree is refused before `patch` runs.
 */
export function patchTargets(text: string, strip: number): { path: string; raw: string }[] {
  const out: { path: string; raw: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^(?:---|\+\+\+) (\S+)/.exec(line);
    if (!m || m[1] === '/dev/null') continue;
    const raw = m[1]!;
    const parts = raw.split('/');
    const stripped = parts.slice(strip).join('/');
    out.push({ path: safeRelativePath(stripped) ?? '', raw });
  }
  return out;
}

export function escapingTargets(text: string, strip: number): string[] {
  return patchTargets(text, strip)
    .filter((t) => t.path === '' || t.raw.startsWith('/') || t.raw.split('/').includes('..'))
    .map((t) => t.raw);
}

/** A patch that would write outside its tree is input to fix, refused before `patch` runs. */
export function refuseEscaping(p: { layer: string; name: string; text: string; strip: number }): void {
  const escaping = escapingTargets(p.text, p.strip);
  if (escaping.length) {
    throw inputError(`${p.layer}/${p.name} writes outside the kernel tree: ${escaping.join(', ')}`, {
      hint: 'patch paths must be relative (a/..., b/...) and may not contain ..',
    });
  }
}

export interface HunkReport {
  file: string;
  hunk: number;
  status: 'ok' | 'offset' | 'fuzz' | 'failed';
  /** line it applied at / failed at */
  line?: number;
  offset?: number;
  fuzz?: number;
}

export interface PatchReport {
  hunks: HunkReport[];
  failed: HunkReport[];
  fuzzy: HunkReport[];
  offsets: HunkReport[];
  /** Lines of patch's output that are not about hunks (e.g. "Reversed patch detected"). */
  other: string[];
}

/**
 * Parses GNU patch's output (what --dry-run or a real run prints) into hunk
 * results. Pure.
 */
export function parsePatchOutput(out: string): PatchReport {
  const hunks: HunkReport[] = [];
  const other: string[] = [];
  let file = '';
  for (const line of out.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^(?:checking|patching) file '?(.+?)'?$/.exec(line))) {
      file = m[1]!;
    } else if ((m = /^Hunk #(\d+) succeeded at (\d+)(?: with fuzz (\d+))?(?: \(offset (-?\d+) lines?\))?\.?$/.exec(line))) {
      const fuzz = m[3] ? Number(m[3]) : undefined;
      const offset = m[4] ? Number(m[4]) : undefined;
      hunks.push({ file, hunk: Number(m[1]), line: Number(m[2]), fuzz, offset, status: fuzz ? 'fuzz' : offset ? 'offset' : 'ok' });
    } else if ((m = /^Hunk #(\d+) FAILED at (\d+)\.?$/.exec(line))) {
      hunks.push({ file, hunk: Number(m[1]), line: Number(m[2]), status: 'failed' });
    } else if (line.trim() && !/^\d+ out of \d+ hunks? (FAILED|ignored)/.test(line)) {
      other.push(line);
    }
  }
  return {
    hunks,
    failed: hunks.filter((h) => h.status === 'failed'),
    fuzzy: hunks.filter((h) => h.fuzz),
    offsets: hunks.filter((h) => h.offset),
    other,
  };
}
