/** Reads a stored report.json (or the run directory holding one), checked against the schema. */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { inputError } from '../errors.ts';
import type { Report } from './report-types.ts';
import { schemaErrors } from './validate.ts';
import { say } from '../util/progress.ts';
import { markerAlive, markerText, readMarker } from './run-marker.ts';

/**
 * What a run's directory says of a run that never finished: killed without a
 * word (its running.json left, its process gone), or still running. Undefined
 * for a run that ended, however it ended.
 */
export async function unfinishedRun(runDir: string): Promise<{ text: string; alive: boolean; during: string } | undefined> {
  const m = await readMarker(runDir);
  if (!m) return undefined;
  const alive = markerAlive(m);
  return { text: markerText(m, alive), alive, during: m.during };
}

export async function readReport(path: string): Promise<Report> {
  const file = (await stat(path).catch(() => undefined))?.isDirectory() ? join(path, 'report.json') : path;
  const text = await readFile(file, 'utf8').catch(async () => {
    const left = await unfinishedRun(dirname(file));
    if (left) throw inputError(`no report at ${file}: ${left.text}`, { hint: left.alive ? 'wait for it to finish' : 'run it again; its consoles and build logs are in the directory' });
    throw inputError(`no report at ${file}`, { hint: 'name a report.json, or the run directory that holds one' });
  });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw inputError(`${file} is not JSON: ${(e as Error).message}`);
  }
  const errors = schemaErrors(data);
  if (errors.length) throw inputError(`${file} is not a freeze-rig report`, { details: errors.slice(0, 10), hint: 'reports from another version of freeze-rig may differ; rerun' });
  // a partial report of a run killed without a word: read, and said (report render also marks it in the report)
  const left = await unfinishedRun(dirname(file));
  if (left && !left.alive) say(`note: ${file}: ${left.text}; it holds what the run finished before that`);
  return data as Report;
}
