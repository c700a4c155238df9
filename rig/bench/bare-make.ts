/**
 * The yardstick both benchmarks measure against: a bare, cold
 * `make -j2 bzImage` of a tree with a given .config, in a fresh O= dir,
 * plain gcc (no ccache, no rig). Returns its seconds.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { $ } from 'zx';
import { makeArgs } from '../../src/config/make-command.ts';

export async function timeBareMake(treeDir: string, config: string): Promise<number> {
  const out = await mkdtemp(join(tmpdir(), 'freeze-rig-bare-'));
  try {
    await cp(config, join(out, '.config'));
    // zx quotes each interpolated argument: the CC=... words stay one argument
    await $({ input: '\n'.repeat(1000), quiet: true })`make ${makeArgs({ srcDir: treeDir, outDir: out, targets: ['oldconfig'] })}`;
    const t0 = Date.now();
    await $({ quiet: true })`make ${makeArgs({ srcDir: treeDir, outDir: out, targets: ['bzImage'], jobs: 2 })}`;
    return (Date.now() - t0) / 1000;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
