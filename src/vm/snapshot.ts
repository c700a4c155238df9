import { open, rm } from 'node:fs/promises';
import type { Qmp } from './qmp.ts';

/**
 * A point-in-time copy of a guest disk while the guest runs, as a backup
 * tool takes one: a QMP blockdev-backup (sync=full) into a fresh raw file.
 * The copy holds the disk as it was when the job started (QEMU copies a
 * block aside before the guest overwrites it), so it is exact even if the
 * guest writes meanwhile, which is what a freeze that does not quiesce
 * would do.
 */
export interface QmpCall {
  execute: string;
  arguments?: Record<string, unknown>;
}

/** The QMP calls, as data: attach the target, start the job. Pure. */
export function backupCalls(device: string, node: string, target: string): QmpCall[] {
  return [
    { execute: 'blockdev-add', arguments: { driver: 'raw', 'node-name': node, file: { driver: 'file', filename: target } } },
    { execute: 'blockdev-backup', arguments: { 'job-id': node, device, target: node, sync: 'full', 'auto-dismiss': false } },
  ];
}

/** The calls that end it: the job's record, the target. Pure. */
export function cleanupCalls(node: string, jobStarted: boolean): QmpCall[] {
  return [...(jobStarted ? [{ execute: 'job-dismiss', arguments: { id: node } }] : []), { execute: 'blockdev-del', arguments: { 'node-name': node } }];
}

interface JobInfo {
  id: string;
  status: string;
  error?: string;
}

/**
 * Copies `device` into `target` (sizeBytes, sparse). Resolves when the copy
 * is complete; rejects with QEMU's reason, or when it takes over timeoutMs
 * (the job is cancelled).
 */
export async function snapshotDisk(qmp: Qmp, device: string, target: string, sizeBytes: number, timeoutMs = 12_000): Promise<{ ms: number }> {
  const t0 = Date.now();
  const node = `snap-${t0.toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  await rm(target, { force: true });
  const fh = await open(target, 'w');
  await fh.truncate(sizeBytes);
  await fh.close();
  const [add, backup] = backupCalls(device, node, target);
  await qmp.execute(add!.execute, add!.arguments);
  let started = false;
  try {
    await qmp.execute(backup!.execute, backup!.arguments);
    started = true;
    for (;;) {
      const job = ((await qmp.execute('query-jobs')) as JobInfo[]).find((j) => j.id === node);
      if (!job) throw new Error(`backup job ${node} vanished`);
      if (job.status === 'concluded') {
        if (job.error) throw new Error(`backup failed: ${job.error}`);
        break;
      }
      if (Date.now() - t0 > timeoutMs) {
        await qmp.execute('job-cancel', { id: node }).catch(() => undefined);
        throw new Error(`backup not done in ${timeoutMs} ms (status ${job.status})`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    for (const c of cleanupCalls(node, started)) await qmp.execute(c.execute, c.arguments).catch(() => undefined);
  }
  return { ms: Date.now() - t0 };
}
