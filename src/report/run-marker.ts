/**
 * running.json: a run directory's mark that a run is (or was) under way. The
 * run writes it before anything else and removes it when it ends, whether it
 * finished, failed or was interrupted (then report.json says so). A marker
 * left behind means the process died without a word: SIGKILL, the OOM killer,
 * a CI runner's hard timeout. Whoever reads the directory later tells that
 * apart from a run still going, by its pid on its host.
 */
import { rmSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/atomic.ts';

export interface RunMarker {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
  /** what the run was doing when the marker was last written */
  during: string;
}

export const markerFile = (runDir: string) => join(runDir, 'running.json');

export const writeMarker = (runDir: string, m: RunMarker) => writeJsonAtomic(markerFile(runDir), m);

export const removeMarker = (runDir: string) => rm(markerFile(runDir), { force: true });

/** The same, for a signal handler: the process exits right after. */
export const removeMarkerSync = (runDir: string) => rmSync(markerFile(runDir), { force: true });

export async function readMarker(runDir: string): Promise<RunMarker | undefined> {
  const text = await readFile(markerFile(runDir), 'utf8').catch(() => undefined);
  if (!text) return undefined;
  try {
    return JSON.parse(text) as RunMarker;
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote the marker is alive (on this host; another host's is taken as alive). */
export function markerAlive(m: RunMarker, here = hostname()): boolean {
  if (m.host !== here) return true;
  try {
    process.kill(m.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How a left marker reads to a person. Pure. */
export function markerText(m: RunMarker, alive: boolean): string {
  const what = `the run started ${m.startedAt} (pid ${m.pid} on ${m.host}: ${m.command})`;
  return alive
    ? `${what} is still running (${m.during}) or its host cannot be asked`
    : `${what} was killed before it finished, while ${m.during}: its process is gone and it never wrote its final report (SIGKILL, the OOM killer or a CI job's hard timeout does this)`;
}
