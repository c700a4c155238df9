/**
 * Build benchmark, measured in one run on this machine (issue #2):
 *   bare   `make -j2 bzImage` of the rig's tree and .config, plain gcc, cold
 *   rig    the rig's clean build of the same (empty build dir, empty ccache)
 *   noop   the rig again with nothing changed
 *   touch  one source file touched: what gets recompiled
 *   header one header touched: what gets recompiled (dependency tracking)
 * Prints the figures and writes them to runs/bench-build-<time>.json.
 * Never run as a test: these machines are shared and noisy.
 */
import { mkdtemp, readFile, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { $ } from 'zx';
import { cacheLayout, repoPath } from '../../src/paths.ts';
import { buildRevision } from '../../src/pipeline/build-revision.ts';
import { timeBareMake } from './bare-make.ts';
import { writeJsonAtomic } from '../../src/util/atomic.ts';

const layout = cacheLayout();
const seconds = (t0: number) => (Date.now() - t0) / 1000;
const compiledIn = async (log: string) =>
  (await readFile(log, 'utf8'))
    .split('\n')
    .filter((l) => /^ {2}CC {6}/.test(l))
    .map((l) => l.trim().replace(/^CC\s+/, ''));

console.log('freeze-rig build benchmark (2 cores; one run; figures, not assertions)');
// Make sure the tree exists and a reference .config is known.
const warm = await buildRevision({ layout, revision: 'baseline' });
const treeDir = warm.tree.dir;

// 1. bare make, cold: fresh O= dir, same .config, plain gcc (no ccache).
const bareMakeSeconds = await timeBareMake(treeDir, join(warm.outDir, '.config'));
console.log(`bare make -j2 bzImage (cold)            ${bareMakeSeconds.toFixed(1)} s`);

// 2. the rig, clean: its build dir removed and an empty ccache.
await rm(warm.outDir, { recursive: true, force: true });
const ccacheDir = await mkdtemp(join(tmpdir(), 'freeze-rig-ccache-'));
process.env.CCACHE_DIR = ccacheDir;
let t0 = Date.now();
const clean = await buildRevision({ layout, revision: 'baseline' });
const rigCleanSeconds = seconds(t0);
const ratio = rigCleanSeconds / bareMakeSeconds;
console.log(`rig clean build (config + make, ccache cold) ${rigCleanSeconds.toFixed(1)} s  ratio ${ratio.toFixed(2)} (target <= 1.3)`);

// 3. nothing changed.
t0 = Date.now();
const noop = await buildRevision({ layout, revision: 'baseline' });
const noChangeSeconds = seconds(t0);
const noopCompiled = noop.upToDate ? [] : await compiledIn(noop.log);
console.log(`rig no-change rebuild                   ${noChangeSeconds.toFixed(1)} s  ${noop.upToDate ? 'make not run (up to date)' : `compiled: ${noopCompiled.join(', ') || 'nothing'}`} (target < 10 s)`);

// 4. one source file changed (its mtime, as an edit would).
const now = new Date();
await utimes(join(treeDir, 'fs/ioctl.c'), now, now);
t0 = Date.now();
const one = await buildRevision({ layout, revision: 'baseline' });
const oneFileSeconds = seconds(t0);
const oneCompiled = await compiledIn(one.log);
console.log(`rig after touching fs/ioctl.c           ${oneFileSeconds.toFixed(1)} s  compiled: ${oneCompiled.join(', ')}`);

// 5. one header: everything that includes it, and nothing else.
await utimes(join(treeDir, 'include/linux/magic.h'), now, now);
const includers = (await $({ nothrow: true, quiet: true })`grep ${['-rl', '--include=*.c', '--include=*.h', 'linux/magic.h', treeDir]}`).stdout.split('\n').filter(Boolean).length;
t0 = Date.now();
const hdr = await buildRevision({ layout, revision: 'baseline' });
const headerSeconds = seconds(t0);
const hdrCompiled = await compiledIn(hdr.log);
console.log(`rig after touching include/linux/magic.h ${headerSeconds.toFixed(1)} s  compiled ${hdrCompiled.length} units (${includers} files in the tree name that header)`);

await rm(ccacheDir, { recursive: true, force: true });
const out = repoPath('runs', `bench-build-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
await writeJsonAtomic(out, {
  machine: { cores: (await import('node:os')).cpus().length },
  bareMakeSeconds,
  rigCleanSeconds,
  rigCleanRatio: ratio,
  noChangeSeconds,
  noChangeCompiled: noopCompiled,
  oneFileSeconds,
  oneFileCompiled: oneCompiled,
  headerSeconds,
  headerCompiled: hdrCompiled.length,
  unitsInFullBuild: clean.compiled,
});
console.log(`written: ${out}`);
