/** The repo's GitHub workflows as data: their jobs and steps, and a step's script to run here. */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { repoPath } from '../../src/paths.ts';

export interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
}
export interface Job {
  container?: string;
  env?: Record<string, string>;
  steps: Step[];
}
export interface Workflow {
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

export const readWorkflow = async (name: string): Promise<Workflow> => parse(await readFile(repoPath('.github/workflows', name), 'utf8')) as Workflow;

/** The script of a job's step, by the start of its name; it must need no ${{ }} expression to run outside GitHub. */
export function stepScript(wf: Workflow, job: string, name: string): { script: string; env: Record<string, string> } {
  const j = wf.jobs[job];
  const step = j?.steps.find((s) => s.name?.startsWith(name));
  if (!step?.run) throw new Error(`${job}: no run step named ${name}...`);
  if (step.run.includes('${{')) throw new Error(`${job} / ${step.name}: its script uses a \${{ }} expression, so it cannot run outside GitHub; pass it through env`);
  const env = Object.fromEntries(Object.entries({ ...wf.env, ...j!.env, ...step.env }).filter(([, v]) => !String(v).includes('${{')));
  return { script: step.run, env };
}
