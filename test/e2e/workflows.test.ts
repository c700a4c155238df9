/**
 * The CI workflows' shell steps, run here as GitHub would run them (bash
 * -e, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files), on real runs:
 * compare-with-main's "Did patches/ change?" and its compare step in a
 * clone with a pull request that changes patches/, and the report job's
 * merge of real shards. Only the run is narrowed (RIG_ARGS, a scenario and
 * a filesystem), as the step allows.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheLayout, repoPath } from '../../src/paths.ts';
import { readCachedSource } from '../../src/source/cache.ts';
import { LINUX_2_6_27 } from '../../src/source/linux-2.6.27.ts';
import { readWorkflow, stepScript } from '../helpers/workflow.ts';

const source = await readCachedSource(cacheLayout(), LINUX_2_6_27.treeId);
if (!source) console.warn(`\n*** SKIPPED: the workflow e2e tests need Linux ${LINUX_2_6_27.version} in the rig's cache ***\n`);

const rig = await readWorkflow('rig.yml');
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Runs a step's script in cwd as GitHub's default shell does; returns what it wrote to its output files. */
async function runStep(job: string, name: string, cwd: string, env: Record<string, string> = {}) {
  const { script, env: wfEnv } = stepScript(rig, job, name);
  const files = await mkdtemp(join(tmpdir(), 'freeze-rig-gh-'));
  dirs.push(files);
  const out = join(files, 'output');
  const summary = join(files, 'summary');
  await writeFile(out, '');
  await writeFile(summary, '');
  // the workflow's own env, but for the rig's cache: the machine's (FREEZE_RIG_CACHE as set here, if at all)
  const { FREEZE_RIG_CACHE: _c, CCACHE_DIR: _d, ...stepEnv } = wfEnv;
  const r = await execa('bash', ['-e', '-c', script], { cwd, reject: false, all: true, env: { ...stepEnv, ...env, GITHUB_OUTPUT: out, GITHUB_STEP_SUMMARY: summary, FORCE_COLOR: '0' } });
  return { ...r, output: await readFile(out, 'utf8'), summary: await readFile(summary, 'utf8') };
}

/** A clone of this repo with main as its origin, and one commit on top: a pull request. */
async function pullRequest(change?: (dir: string) => Promise<void>) {
  const base = await mkdtemp(join(tmpdir(), 'freeze-rig-pr-'));
  dirs.push(base);
  const origin = join(base, 'origin.git');
  const pr = join(base, 'pr');
  await execa('git', ['clone', '-q', '--bare', repoPath(), origin]);
  await execa('git', ['clone', '-q', origin, pr]);
  await symlink(repoPath('node_modules'), join(pr, 'node_modules'));
  const git = (...a: string[]) => execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...a], { cwd: pr });
  await git('checkout', '-q', '-b', 'pr');
  if (change) {
    await change(pr);
    await git('commit', '-q', '-am', 'a pull request');
  }
  return pr;
}

describe.skipIf(!source)("the workflows' shell steps, run here", () => {
  it('compare-with-main: "Did patches/ change?" says no for a pull request that leaves patches/ alone', async () => {
    const pr = await pullRequest(async (d) => appendFile(join(d, 'README.md'), '\nA line.\n'));
    const r = await runStep('compare-with-main', 'Did patches/ change?', pr, { BASE: 'origin/main' });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.output).toBe('patches=no\n');
  });

  it('compare-with-main: a pull request that changes a patch is run against main, and the comparison lands in the step summary', async () => {
    // a changelog line of generic-v2's first patch: the tree changes, the kernel does not
    const pr = await pullRequest(async (d) => {
      const p = join(d, 'patches/series/generic-v2/0001-vfs-add-FIFREEZE-and-FITHAW-ioctls.patch');
      await writeFile(p, (await readFile(p, 'utf8')).replace(/^---$/m, 'A line a reviewer asked for.\n\n---'));
    });
    const changed = await runStep('compare-with-main', 'Did patches/ change?', pr, { BASE: 'origin/main' });
    expect(changed.output).toBe('patches=yes\n');
    const r = await runStep('compare-with-main', "Run main's revisions", pr, { BASE: 'origin/main', RIG_ARGS: '--scenario freeze-thaw --fs ext3' });
    expect(r.exitCode, r.all?.slice(-3000)).toBe(0);
    // both runs in the clone, main's from its worktree; nothing got worse
    const main = JSON.parse(await readFile(join(pr, 'main-run/report.json'), 'utf8'));
    const prRun = JSON.parse(await readFile(join(pr, 'pr-run/report.json'), 'utf8'));
    expect(main.revisions.map((v: { revision: string }) => v.revision)).toEqual(['baseline', 'ext3-v1', 'generic-v2', 'generic-v3']);
    expect(prRun.revisions.map((v: { revision: string }) => v.revision)).toEqual(['baseline', 'ext3-v1', 'generic-v2', 'generic-v3']);
    expect(r.summary).toMatch(/generic-v2/);
    expect(r.summary).not.toMatch(/worse: [1-9]/);
  }, 1_200_000);

  it("report: the merge step merges real shards, in the revisions' order, into one report", async () => {
    const work = await mkdtemp(join(tmpdir(), 'freeze-rig-merge-'));
    dirs.push(work);
    for (const [rev, fs] of [['generic-v2', 'xfs'], ['baseline', 'ext3']] as const) {
      const out = join(work, 'shards', `shard-${rev}-${fs}`);
      await mkdir(out, { recursive: true });
      const r = await execa('node', [repoPath('bin/freeze-rig.js'), 'run', '--series', rev, '--fs', fs, '--scenario', 'freeze-thaw', '--out', out], { reject: false, all: true });
      expect(r.exitCode, r.all).toBe(0);
    }
    await symlink(repoPath('node_modules'), join(work, 'node_modules'));
    await writeFile(join(work, 'package.json'), await readFile(repoPath('package.json')));
    await symlink(repoPath('bin'), join(work, 'bin'));
    await symlink(repoPath('src'), join(work, 'src'));
    await symlink(repoPath('patches'), join(work, 'patches'));
    const r = await runStep('report', 'Merge the shards', work);
    expect(r.exitCode, r.all).toBe(0);
    const merged = JSON.parse(await readFile(join(work, 'report/report.json'), 'utf8'));
    expect(merged.revisions.map((v: { revision: string }) => v.revision)).toEqual(['baseline', 'generic-v2']);
    expect(await readFile(join(work, 'report/junit.xml'), 'utf8')).toContain('classname="baseline.ext3"');
    expect(r.summary).toMatch(/\d+ pass, 0 fail/);
  }, 600_000);
});
