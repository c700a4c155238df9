import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { leashedGroup } from '../util/leash.ts';
import { expectationError, infraError } from '../errors.ts';
import { makeArgs } from './make-command.ts';
import { writeJsonAtomic } from '../util/atomic.ts';
import { exists } from '../util/files.ts';
import type { WorkTree } from '../tree/work-tree.ts';
import { claimBuildDir } from '../tree/build-dir.ts';
import { configHash, mergeConfig, parseConfig, verifyConfig, type Fragment } from './fragments.ts';
import { indexTreeKconfig, missingDependencies } from './kconfig-deps.ts';

export interface ConfigResult {
  hash: string;
  configPath: string;
  /** false when the build dir already had this configuration */
  changed: boolean;
  overrides: ReturnType<typeof mergeConfig>['overrides'];
}

interface Stamp {
  configHash: string;
}

const stampFile = (outDir: string) => join(outDir, '.freeze-rig-config.json');

/**
 * allnoconfig, the fragments merged on top, oldconfig, then every requested
 * symbol verified. Skipped when the build dir already holds exactly this
 * configuration of this tree instance, so a rerun does not touch .config.
 */
export async function configureKernel(
  tree: WorkTree,
  outDir: string,
  fragments: (Fragment & { text: string })[],
  log: (chunk: string) => void,
  /** make -j for the host tools kconfig needs first (fixdep, conf): 1.9 s against 2.2 s */
  jobs = 1,
): Promise<ConfigResult> {
  const hash = configHash(fragments);
  const configPath = join(outDir, '.config');
  await claimBuildDir(outDir, tree.instance);
  const stamp = JSON.parse(await readFile(stampFile(outDir), 'utf8').catch(() => 'null')) as Stamp | null;
  if (stamp && stamp.configHash === hash && (await exists(configPath))) {
    return { hash, configPath, changed: false, overrides: [] };
  }
  await mkdir(outDir, { recursive: true });
  await rm(stampFile(outDir), { force: true });
  const make = async (targets: string[], input?: string) => {
    const leash = leashedGroup('make', makeArgs({ srcDir: tree.dir, outDir, targets, jobs }));
    const r = await execa(leash.file, leash.args, { detached: leash.detached, input, all: true, reject: false });
    log(r.all ?? '');
    if (r.exitCode !== 0) {
      throw infraError(`make ${targets.join(' ')} failed in ${tree.dir}`, { details: (r.all ?? '').split('\n').slice(-15) });
    }
  };
  await make(['allnoconfig']);
  const merged = mergeConfig(await readFile(configPath, 'utf8'), fragments);
  await writeFile(configPath, merged.text);
  // 2.6.27 has no olddefconfig: answer every new question with its default.
  await make(['oldconfig'], '\n'.repeat(20000));
  const final = await readFile(configPath, 'utf8');
  const bad = verifyConfig(final, merged.requested);
  if (bad.length) {
    const index = await indexTreeKconfig(tree.dir);
    const finalMap = parseConfig(final, '.config').symbols;
    const details = bad.map((b) => {
      const deps = missingDependencies(index, b.symbol, finalMap);
      const why = deps.length ? `; it needs ${deps.map((d) => `CONFIG_${d}`).join(', ')}, which is off` : '';
      return `CONFIG_${b.symbol}: asked ${b.wanted}, got ${b.got}${why}`;
    });
    throw expectationError(`${bad.length} requested config symbol(s) did not stick after oldconfig`, {
      stage: 'config',
      details,
      hint: `add the missing dependencies to a fragment in kernel-config/ (fragments: ${fragments.map((f) => f.name).join(', ')})`,
    });
  }
  await writeJsonAtomic(stampFile(outDir), { configHash: hash } satisfies Stamp);
  return { hash, configPath, changed: true, overrides: merged.overrides };
}
