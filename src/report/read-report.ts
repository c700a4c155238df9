/** Reads a stored report.json (or the run directory holding one), checked against the schema. */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { inputError } from '../errors.ts';
import type { Report } from './report-types.ts';
import { schemaErrors } from './validate.ts';

export async function readReport(path: string): Promise<Report> {
  const file = (await stat(path).catch(() => undefined))?.isDirectory() ? join(path, 'report.json') : path;
  const text = await readFile(file, 'utf8').catch(() => {
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
  return data as Report;
}
