/**
 * The run directory's three views of one report: report.json (validated
 * against its schema first), junit.xml and report.html. Each is written
 * atomically; report.json says complete: false until the run has finished.
 */
import { join } from 'node:path';
import { writeFileAtomic, writeFileAtomicSync } from '../util/atomic.ts';
import { toHtml } from './html.ts';
import { toJunit } from './junit.ts';
import type { Report } from './report-types.ts';
import { assertValidReport } from './validate.ts';

export const REPORT_FILES = { json: 'report.json', junit: 'junit.xml', html: 'report.html' } as const;

export async function writeReport(runDir: string, report: Report): Promise<void> {
  assertValidReport(report);
  // report.json last: a reader that trusts it finds the other two matching
  await writeFileAtomic(join(runDir, REPORT_FILES.junit), toJunit(report));
  await writeFileAtomic(join(runDir, REPORT_FILES.html), toHtml(report));
  await writeFileAtomic(join(runDir, REPORT_FILES.json), `${JSON.stringify(report, null, 2)}\n`);
}

/**
 * report.json alone, synchronously and atomically: for a run stopped by a
 * signal, whose process exits right after (junit.xml and report.html keep
 * what the last finished revision wrote; `report render` redraws them).
 */
export function writeReportJsonSync(runDir: string, report: Report): void {
  assertValidReport(report);
  writeFileAtomicSync(join(runDir, REPORT_FILES.json), `${JSON.stringify(report, null, 2)}\n`);
}
