import type { BuildRecord } from '../kbuild/build-kernel.ts';
import { newWarnings, uniqueDiagnostics, type Diagnostic } from '../kbuild/build-log.ts';
import { sizeDelta, type SectionSizes } from '../kbuild/size.ts';
import type { HunkReport } from '../tree/patch-file.ts';
import { checkpatch, type CheckpatchResult } from '../tree/checkpatch.ts';
import { isRigLayer, type LoadedPatch } from '../tree/series.ts';

/** What the rig records of one patch of a revision. */
export interface PatchRecord {
  layer: string;
  name: string;
  subject: string;
  applied: { fuzz: HunkReport[]; offsets: HunkReport[] };
  checkpatch: CheckpatchResult | { failed: string };
  /** --per-patch: the tree built with the stack up to and including this patch */
  /** stage: what failed, the configuration (a symbol did not stick) or the compile */
  build?: { ok: boolean; seconds: number; compiled: number; error?: string; stage?: 'config' | 'build' };
}

/** What a revision changes against baseline's build. */
export interface RevisionDelta {
  against: string;
  /** null when either build's warning set is incomplete (see why) */
  newWarnings: Diagnostic[] | null;
  why?: string;
  /** vmlinux sizes, this minus baseline, in bytes */
  size?: SectionSizes;
}

export const subjectOf = (text: string) => /^Subject: (.*)$/m.exec(text)?.[1] ?? '';

/** Patch records from a build: how each of the revision's patches applied, and checkpatch on it. */
export async function patchRecords(rec: BuildRecord, patches: LoadedPatch[]): Promise<PatchRecord[]> {
  const own = patches.filter((p) => !isRigLayer(p.layer));
  return Promise.all(
    own.map(async (p) => {
      const a = rec.tree.patches.find((x) => x.layer === p.layer && x.name === p.name);
      return {
        layer: p.layer,
        name: p.name,
        subject: subjectOf(p.text),
        applied: { fuzz: a?.fuzz ?? [], offsets: a?.offsets ?? [] },
        checkpatch: await checkpatch(rec.tree.dir, p.file),
      };
    }),
  );
}

/** New warnings (by file and message) and the size change against a baseline build. Pure. */
export function revisionDelta(base: BuildRecord, rec: BuildRecord): RevisionDelta {
  const incomplete = [base, rec].filter((r) => !r.warningsComplete).map((r) => r.revision);
  if (incomplete.length) {
    return {
      against: base.revision,
      newWarnings: null,
      why: `the warnings of ${incomplete.join(' and ')} are not known for the whole tree (no cold build of that tree yet): remove ${incomplete.map((r) => `${r}'s build dir`).join(', ')} to get one`,
      size: sizeDelta(base.sizes, rec.sizes),
    };
  }
  return {
    against: base.revision,
    newWarnings: newWarnings(uniqueDiagnostics(base.warnings), uniqueDiagnostics(rec.warnings)),
    size: sizeDelta(base.sizes, rec.sizes),
  };
}
