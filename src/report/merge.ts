/**
 * One report from the shards of a run (a CI matrix runs each revision and
 * filesystem on its own machine). Results are ordered as an unsplit run
 * orders them, and everything derived is recomputed. Pure.
 */
import { inputError } from '../errors.ts';
import { FILESYSTEMS, type FsName } from '../guest/disk-images.ts';
import { SCENARIOS } from '../scenarios/catalogue.ts';
import { finishReport } from './report-model.ts';
import type { Report, ReportRevision } from './report-types.ts';

const fsOrder = (fs: string) => FILESYSTEMS.indexOf(fs as FsName);

export function mergeReports(shards: readonly Report[], command = `report merge of ${shards.length} shards`): Report {
  if (!shards.length) throw inputError('nothing to merge', { hint: 'name the report.json of each shard' });
  const trees = [...new Set(shards.map((s) => s.kernel.treeId))];
  if (trees.length > 1) throw inputError(`the shards ran different kernel trees: ${trees.join(', ')}`, { hint: 'merge shards of one run only' });
  const revisions: ReportRevision[] = [];
  for (const s of shards) {
    for (const r of s.revisions) {
      const seen = revisions.find((x) => x.revision === r.revision);
      if (!seen) {
        revisions.push({ ...r, boots: [...r.boots] });
        continue;
      }
      if (seen.build.config !== r.build.config)
        throw inputError(`revision ${r.revision} was built with different configs in two shards`, { hint: 'merge shards of one run only' });
      for (const b of r.boots) {
        if (seen.boots.some((x) => x.name === b.name)) throw inputError(`two shards both ran ${r.revision} on ${b.fs}`, { hint: 'each shard must run its own revision x filesystem' });
        seen.boots.push(b);
      }
      seen.boots.sort((a, b) => fsOrder(a.fs) - fsOrder(b.fs) || a.name.localeCompare(b.name));
    }
  }
  const order = (rev: string, fs: string, scenario: string) => [revisions.findIndex((r) => r.revision === rev), fsOrder(fs), SCENARIOS.indexOf(scenario as never)];
  const results = shards.flatMap((s) => s.results);
  const keys = new Set<string>();
  for (const r of results) {
    const k = `${r.revision}/${r.fs}/${r.scenario}`;
    if (keys.has(k)) throw inputError(`two shards both report ${k}`, { hint: 'each shard must run its own revision x filesystem' });
    keys.add(k);
  }
  results.sort((a, b) => {
    const x = order(a.revision, a.fs, a.scenario);
    const y = order(b.revision, b.fs, b.scenario);
    return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
  });
  const first = shards[0]!;
  return finishReport({
    format: first.format,
    complete: shards.every((s) => s.complete),
    createdAt: shards.map((s) => s.createdAt).sort()[0]!,
    kernel: first.kernel,
    host: first.host,
    command,
    revisions,
    results,
  });
}
