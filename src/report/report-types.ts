/**
 * The records of report.json: what a run hands over (RevisionRun) and what
 * the report holds. Types only, so that the model, the comparison and the
 * renderers read them without importing each other.
 */
import type { BuildRecord } from '../kbuild/build-kernel.ts';
import type { Diagnostic } from '../kbuild/build-log.ts';
import type { SectionSizes } from '../kbuild/size.ts';
import type { FsName } from '../guest/disk-images.ts';
import type { BootRecord } from '../scenarios/run-scenarios.ts';
import type { PatchRecord, RevisionDelta } from '../kbuild/patch-records.ts';
import type { ScenarioResult, Status } from '../scenarios/judge.ts';
import type { PatchMatrix, PrefixRun } from './patch-matrix.ts';

export const REPORT_FORMAT = 'freeze-rig-report/1';

export interface ReportPatch {
  layer: string;
  name: string;
  subject: string;
  applied: boolean;
  fuzz: number;
  offsets: number;
  checkpatch: { errors: number; warnings: number } | { failed: string };
  build?: PatchRecord['build'];
}

export interface ReportBuild {
  durationSeconds: number;
  compiled: number;
  /** ccache in this build: from the cache, compiled */
  cache?: { hits: number; misses: number };
  warnings: number;
  warningsComplete: boolean;
  /** null: not known (see newWarningsWhy) */
  newWarnings: Diagnostic[] | null;
  newWarningsWhy?: string;
  sizes?: SectionSizes;
  /** against baseline, bytes */
  sizeDelta?: SectionSizes;
  config: string;
  reproducer: string;
}

/** A guest as the report keeps it: the boot record, its console path relative to the run directory. */
export type ReportBoot = Omit<BootRecord, 'problems'>;

export interface ReportResult extends ScenarioResult {
  /** for a failure: the command that boots this guest again */
  reproducer?: string;
  /** for a failure of a recorded guest: the command that replays it exactly */
  replay?: string;
}

/** The freeze window of one revision on one filesystem, in ms. */
export interface FreezeFigures {
  revision: string;
  fs: FsName;
  freezeLatencyMs?: number;
  thawLatencyMs?: number;
  writerWakeLatencyMs?: number;
  timeoutErrorMs?: number;
  /** snapshot-consistent: the freeze of a busy fs with this much dirty data */
  dirtyAtFreezeMiB?: number;
  freezeLatencyDirtyMs?: number;
  /** how long the fs stayed frozen for the host's snapshot */
  frozenForSnapshotMs?: number;
  /** no-device-writes: write requests that reached the device in the frozen window */
  deviceWritesWhileFrozen?: number;
}

export interface ReportRevision {
  revision: string;
  summary: string;
  /** the manifest it was judged by: relative to the repository when inside it */
  manifest?: string;
  patches: ReportPatch[];
  build: ReportBuild;
  boots: ReportBoot[];
  /** run --per-patch: each patch prefix booted and judged by this revision's manifest */
  perPatch?: PatchMatrix;
}

export interface Report {
  format: typeof REPORT_FORMAT;
  complete: boolean;
  createdAt: string;
  kernel: { version: string; treeId: string };
  /** accel: --accel as asked (auto, kvm, tcg); each boot says which it used */
  host: { hostname: string; toolchain: Record<string, string>; accel?: string };
  /** the command line that produced it */
  command: string;
  revisions: ReportRevision[];
  results: ReportResult[];
  figures: FreezeFigures[];
  comparison: Comparison;
  /** a run stopped by a signal: which, and what it was doing (complete is false) */
  interrupted?: { signal: string; during: string };
}

/** What the run command hands over for one revision. */
export interface RevisionRun {
  revision: string;
  summary: string;
  manifest?: string;
  build: BuildRecord;
  patches: PatchRecord[];
  delta: RevisionDelta;
  boots: BootRecord[];
  results: ScenarioResult[];
  /** run --per-patch: the guests of each patch prefix but the last (which is the revision itself) */
  prefixes?: PrefixRun[];
}

export interface Transition {
  fs: string;
  scenario: string;
  from: Status;
  to: Status;
  /** what the later side observed */
  observed: string;
  /** the scenario's figures on both sides (freeze latency, timeout error, snapshot time...), as "name a -> b unit" */
  figures?: string[];
}

export interface Step {
  from: string;
  to: string;
  /** pass or skip became fail or error */
  worse: Transition[];
  /** fail or error became pass */
  better: Transition[];
  /** skip became pass: the later side can do what the earlier could not */
  gained: Transition[];
  /** pass became skip: the later side no longer claims it */
  lost: Transition[];
  build: { warningsFrom: number; warningsTo: number; textDelta?: number; dataDelta?: number; newWarnings: number | null };
}

export interface Comparison {
  steps: Step[];
}
