/**
 * The guest's emit(): result lines stay valid JSON whatever a string holds
 * (a scenario id from the kernel command line, a path, uname's version).
 * report.c is compiled for the host with a small driver and run here.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { repoPath } from '../../src/paths.ts';
import { guestContractHeader } from '../../src/scenarios/catalogue.ts';

const driver = String.raw`
#include "helper.h"
int main(void)
{
	fsname = "ext3";
	current_scenario = "a\"quote\\and\nnewline";
	emit("{\"event\":\"error\",\"what\":\"unknown scenario %s\",\"n\":%d,\"l\":%ld,\"f\":%.1f,\"x\":\"%016llx\"}",
	     "x\"}{\"evil\":1", -3, 123456789L, 2.5, 0xabcULL);
	check("name\twith tab", -1, 22, 1.5);
	emit("{\"event\":\"done\",\"hung\":%s,\"pct\":\"100%%\"}", "false");
	return 0;
}
`;

describe('guest result lines', () => {
  it('escapes every string it emits, and formats numbers as printf does', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'freeze-rig-emit-'));
    try {
      await writeFile(join(dir, 'contract.h'), guestContractHeader());
      await writeFile(join(dir, 'main.c'), driver);
      const bin = join(dir, 'emit');
      await execa('gcc', ['-O2', '-Wall', '-Werror', '-I', dir, '-I', repoPath('rig/guest'), '-o', bin, join(dir, 'main.c'), repoPath('rig/guest/report.c')]);
      const lines = (await execa(bin)).stdout.split('\n');
      expect(lines.every((l) => l.startsWith('@freeze-rig {'))).toBe(true);
      const [err, chk, done] = lines.map((l) => JSON.parse(l.slice('@freeze-rig '.length)));
      expect(err).toEqual({ event: 'error', what: 'unknown scenario x"}{"evil":1', n: -3, l: 123456789, f: 2.5, x: '0000000000000abc' });
      expect(chk).toMatchObject({ event: 'check', fs: 'ext3', scenario: 'a"quote\\and\nnewline', name: 'name\twith tab', ret: -1, errno: 22, ms: 1.5 });
      expect(done).toEqual({ event: 'done', hung: false, pct: '100%' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
