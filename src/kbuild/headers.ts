import { join } from 'node:path';
import { execa } from 'execa';
import { infraError } from '../errors.ts';
import { makeArgs } from '../config/make-command.ts';

/**
 * make headers_install of the revision's tree into its build dir: the guest
 * helper takes ioctl numbers from these, never from a copy.
 */
export async function installHeaders(srcDir: string, outDir: string): Promise<string> {
  const dest = join(outDir, 'usr-headers');
  const r = await execa('make', makeArgs({ srcDir, outDir, targets: ['headers_install'], vars: { INSTALL_HDR_PATH: dest } }), { reject: false, all: true });
  if (r.exitCode !== 0) throw infraError('make headers_install failed', { details: (r.all ?? '').split('\n').slice(-10) });
  return join(dest, 'include');
}
