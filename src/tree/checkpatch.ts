import { execa } from 'execa';
import { join } from 'node:path';

export interface CheckpatchResult {
  errors: number;
  warnings: number;
  /** the lines checkpatch flagged, for a reviewer */
  findings: string[];
}

/** argv: the tree's own checkpatch.pl (with the compat fix), run from the tree top. Pure. */
export const checkpatchArgs = (treeDir: string, patch: string) => ['perl', join(treeDir, 'scripts', 'checkpatch.pl'), '--root', treeDir, patch];

/** Parses "total: E errors, W warnings, N lines checked" and the ERROR:/WARNING: lines. Pure. */
export function parseCheckpatch(out: string): CheckpatchResult | undefined {
  const m = /total: (\d+) errors?, (\d+) warnings?/.exec(out);
  if (!m) return undefined;
  return { errors: Number(m[1]), warnings: Number(m[2]), findings: out.split('\n').filter((l) => /^(ERROR|WARNING): /.test(l)) };
}

export async function checkpatch(treeDir: string, patch: string): Promise<CheckpatchResult | { failed: string }> {
  const [cmd, ...args] = checkpatchArgs(treeDir, patch);
  const r = await execa(cmd!, args, { reject: false, all: true, cwd: treeDir });
  return parseCheckpatch(r.all ?? '') ?? { failed: (r.all ?? '').split('\n').slice(0, 5).join('\n') };
}
