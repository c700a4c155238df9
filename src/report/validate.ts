/**
 * report.json is checked against its published schema before it is written:
 * a report that a reviewer's tools cannot trust is the rig's bug, said loudly.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { infraError } from '../errors.ts';
import { repoPath } from '../paths.ts';
import type { Report } from './report-types.ts';

export const REPORT_SCHEMA = repoPath('src/report/report.schema.json');

let compiled: ReturnType<Ajv['compile']> | undefined;

/** The schema's complaints about a report, one line each; empty when valid. */
export function schemaErrors(report: unknown): string[] {
  compiled ??= new Ajv({ allErrors: true, strict: true }).compile(JSON.parse(readFileSync(REPORT_SCHEMA, 'utf8')));
  return compiled(report) ? [] : (compiled.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}

export function assertValidReport(report: unknown): asserts report is Report {
  const errors = schemaErrors(report);
  if (errors.length)
    throw infraError('the report does not match its schema (a freeze-rig bug)', { details: errors.slice(0, 20), hint: `the schema is ${REPORT_SCHEMA}` });
}
