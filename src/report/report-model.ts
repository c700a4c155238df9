/**
 * report.json: what one run found, as plain data. Built by pure functions
 * from what the pipeline recorded; the comparison part is derived, so that a
 * merge of shards recomputes it from the merged results.
 */
import type { FsName } from '../guest/disk-images.ts';
import type { BootRecord } from '../scenarios/run-scenarios.ts';
import type { PatchRecord } from '../kbuild/patch-records.ts';
import { standingOf, type ScenarioResult, type Status } from '../scenarios/judge.ts';
import { compareRevisions } from './compare.ts';
import { patchMatrix, type PrefixRun } from './patch-matrix.ts';
import { REPORT_FORMAT, type FreezeFigures, type Report, type ReportBoot, type ReportPatch, type ReportResult, type ReportRevision, type RevisionRun } from './report-types.ts';

const STATUSES: Status[] = ['pass', 'fail', 'skip', 'error'];

export function counts(results: readonly { status: Status }[]): Record<Status, number> {
  return Object.fromEntries(STATUSES.map((s) => [s, results.filter((r) => r.status === s).length])) as Record<Status, number>;
}

/**
 * "57 pass, 2 fail (1 a known issue), 27 skip, 0 error": the line a run (or
 * a merge) ends with. Pure.
 */
export function countsLine(results: readonly { status: Status; known?: string }[]): string {
  const c = counts(results);
  const known = results.filter((r) => standingOf(r) === 'known-failed').length;
  return STATUSES.map((s) => `${c[s]} ${s}${s === 'fail' && known ? ` (${known} a known issue)` : ''}`).join(', ');
}

function reportPatch(p: PatchRecord): ReportPatch {
  return {
    layer: p.layer,
    name: p.name,
    subject: p.subject,
    applied: true,
    fuzz: p.applied.fuzz.length,
    offsets: p.applied.offsets.length,
    checkpatch: 'errors' in p.checkpatch ? { errors: p.checkpatch.errors, warnings: p.checkpatch.warnings } : p.checkpatch,
    ...(p.build ? { build: p.build } : {}),
  };
}

function reportBoot({ problems: _problems, ...b }: BootRecord, revision: string): ReportBoot {
  // the problems are in the results (dmesg-clean); the console path becomes relative to the run directory
  return { ...b, console: `${revision}/${b.console}` };
}

/** The figures a reviewer asks for first, from the scenarios that measure them. Pure. */
export function freezeFigures(results: readonly ScenarioResult[]): FreezeFigures[] {
  const keys = [...new Set(results.map((r) => `${r.revision}\0${r.fs}`))];
  return keys.map((k) => {
    const [revision, fs] = k.split('\0') as [string, FsName];
    const pick = (scenario: string, metric: string) => {
      const r = results.find((x) => x.revision === revision && x.fs === fs && x.scenario === scenario && x.status === 'pass');
      return r?.metrics[metric]?.value;
    };
    const figures = {
      freezeLatencyMs: pick('writes-block', 'freezeLatency') ?? pick('freeze-thaw', 'freezeLatency'),
      thawLatencyMs: pick('writes-block', 'thawLatency') ?? pick('freeze-thaw', 'thawLatency'),
      writerWakeLatencyMs: pick('writes-block', 'writerWakeLatency'),
      timeoutErrorMs: pick('timeout-fires', 'timeoutError'),
      dirtyAtFreezeMiB: pick('snapshot-consistent', 'dirtyAtFreeze'),
      freezeLatencyDirtyMs: pick('snapshot-consistent', 'freezeLatency'),
      frozenForSnapshotMs: pick('snapshot-consistent', 'frozenFor'),
      deviceWritesWhileFrozen: pick('no-device-writes', 'deviceWriteRequests'),
    };
    // a figure no passing scenario measured is left out, not null
    return { revision, fs, ...Object.fromEntries(Object.entries(figures).filter(([, v]) => v !== undefined)) };
  });
}

export interface ReportInput {
  createdAt: string;
  hostname: string;
  command: string;
  runs: RevisionRun[];
  complete: boolean;
  /** --accel as asked (each boot records what it used) */
  accel?: string;
}

/** run --per-patch: the revision's prefixes, and the revision itself as the last column. Pure. */
export const perPatchOf = (r: RevisionRun, prefixes: readonly PrefixRun[]) => patchMatrix(prefixes, { dir: r.revision, layer: r.patches.at(-1)?.layer ?? r.revision, name: r.patches.at(-1)?.name ?? '', results: r.results });

/** report.json from the pipeline's records. Pure. */
export function buildReport(input: ReportInput): Report {
  const first = input.runs[0]?.build;
  const revisions: ReportRevision[] = input.runs.map((r) => ({
    revision: r.revision,
    summary: r.summary,
    ...(r.manifest ? { manifest: r.manifest } : {}),
    patches: r.patches.map(reportPatch),
    build: {
      durationSeconds: r.build.durationSeconds,
      compiled: r.build.compiled,
      ...(r.build.cache ? { cache: { hits: r.build.cache.hits, misses: r.build.cache.misses } } : {}),
      warnings: r.build.warningCount,
      warningsComplete: r.build.warningsComplete ?? false,
      newWarnings: r.delta.newWarnings,
      ...(r.delta.why ? { newWarningsWhy: r.delta.why } : {}),
      ...(r.build.sizes ? { sizes: r.build.sizes } : {}),
      ...(r.delta.size ? { sizeDelta: r.delta.size } : {}),
      config: r.build.config.sha256,
      reproducer: r.build.reproducer,
    },
    boots: r.boots.map((b) => reportBoot(b, r.revision)),
    ...(r.prefixes ? { perPatch: perPatchOf(r, r.prefixes) } : {}),
  }));
  const results: ReportResult[] = input.runs.flatMap((r) =>
    r.results.map((x) => {
      // the last guest that ran it: a fresh guest's result (fs-again) is the one that stands
      const boot = [...r.boots].reverse().find((b) => b.fs === x.fs && b.scenarios.includes(x.scenario)) ?? r.boots.find((b) => b.fs === x.fs);
      return x.status === 'fail' || x.status === 'error' ? { ...x, ...(boot ? { reproducer: boot.reproducer, ...(boot.replay ? { replay: boot.replay } : {}) } : {}) } : x;
    }),
  );
  return finishReport({
    format: REPORT_FORMAT,
    complete: input.complete,
    createdAt: input.createdAt,
    kernel: first?.kernel ?? { version: 'unknown', treeId: 'unknown' },
    host: { hostname: input.hostname, toolchain: first?.toolchain ?? {}, ...(input.accel ? { accel: input.accel } : {}) },
    command: input.command,
    revisions,
    results,
  });
}

/** Adds what is derived from results: figures and the comparison. Pure. */
export function finishReport(r: Omit<Report, 'figures' | 'comparison'>): Report {
  return { ...r, figures: freezeFigures(r.results), comparison: compareRevisions(r) };
}
