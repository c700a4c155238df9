import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FsName } from '../guest/disk-images.ts';
import { IMAGE_MIB } from '../guest/disk-images.ts';
import { checkSnapshot, type SnapshotFile } from '../guest/image-check.ts';
import type { Ask, AskHandler } from '../vm/host-channel.ts';
import { blockStats, type BlockStats, type Qmp } from '../vm/qmp.ts';
import { diskId } from '../vm/qemu-command.ts';
import { snapshotDisk } from '../vm/snapshot.ts';
import type { Check } from './judge.ts';

interface Snapshot {
  ask: Ask;
  path: string;
  /** the files the guest reported before it asked: they must be in it */
  files: SnapshotFile[];
}

/** A snapshot the guest copied onto one of its own disks (dm-snapshot): the host checks that disk's image. */
interface Export {
  scenario: string;
  label: string;
  /** the disk's index on the QEMU command line (0 = vda) */
  disk: number;
  files: SnapshotFile[];
}

interface Counters extends BlockStats {
  ask: Ask;
  at: number;
}

/**
 * What the host does for the backup scenarios of one guest (snapshot-
 * consistent, no-device-writes): snapshots and write counters on the
 * guest's asks, then, after the guest is gone, the checks of each
 * snapshot, as host checks the judge reads beside the guest's.
 */
export class BackupHost {
  private files: (SnapshotFile & { scenario: string })[] = [];
  private snapshots: Snapshot[] = [];
  private counters: Counters[] = [];
  private exports: Export[] = [];
  /** the disk images of exported copies that did not check clean, after checks(): evidence to keep */
  readonly dirtyCopies = new Set<string>();

  constructor(
    private readonly fs: FsName,
    private readonly dir: string,
    private readonly name: string,
    private readonly qmp: () => Promise<Qmp> | undefined,
  ) {}

  /** A console event: the files the guest reports are remembered in order. */
  event(e: Record<string, unknown>): void {
    if (e.event === 'file') this.files.push({ scenario: String(e.scenario), path: String(e.path), bytes: Number(e.bytes), fnv: String(e.fnv), buffered: e.buffered === true });
    // the guest copied a snapshot onto its disk N: every file it reported before is in it
    if (e.event === 'export') {
      const scenario = String(e.scenario);
      this.exports.push({ scenario, label: String(e.label), disk: Number(e.disk), files: this.files.filter((f) => f.scenario === scenario) });
    }
  }

  private async connected(): Promise<Qmp> {
    const q = this.qmp();
    if (!q) throw new Error('QMP is not connected');
    return q;
  }

  readonly handlers: Record<string, AskHandler> = {
    snapshot: async (ask) => {
      const path = join(this.dir, `${this.name}-${ask.scenario}-${ask.label}.snap.img`);
      const files = this.files.filter((f) => f.scenario === ask.scenario);
      const { ms } = await snapshotDisk(await this.connected(), diskId(0), path, IMAGE_MIB[this.fs] * 1024 * 1024);
      this.snapshots.push({ ask, path, files });
      return `snapshot in ${ms} ms`;
    },
    blockstats: async (ask) => {
      const all = blockStats(await (await this.connected()).execute('query-blockstats'));
      const dev = all.find((d) => d.device === diskId(0)) ?? all[0];
      if (!dev) throw new Error('query-blockstats: no device');
      this.counters.push({ ...dev, ask, at: Date.now() });
      return `wr_operations ${dev.wrOperations} wr_bytes ${dev.wrBytes}`;
    },
  };

  /**
   * The host's checks, after the guest shut down: per snapshot, fsck,
   * recovery and files; per frozen window, the writes that reached the
   * device; per exported snapshot, the same checks of the disk it was
   * copied to (`disks`: the guest's disk images, by index). Only a dirty
   * frozen snapshot's image is kept; a dirty copy's disk is named in
   * dirtyCopies.
   */
  async checks(disks: readonly string[] = []): Promise<Check[]> {
    const checks: Check[] = [];
    const snapshotChecks = async (scenario: string, tag: string, path: string, files: SnapshotFile[]) => {
      const f = await checkSnapshot(this.fs, path, files);
      const base = { fs: this.fs, scenario, errno: 0, ms: 0 };
      checks.push(
        { ...base, name: `host-fsck-${tag}`, ret: f.fsckExit, note: f.fsckSummary },
        { ...base, name: `host-recovery-${tag}`, ret: f.recoveryNeeded ? 1 : 0, note: f.recoveryWhy },
        { ...base, name: `host-files-${tag}`, ret: f.bad.length, v: f.expected, note: f.bad.slice(0, 5).join('; ') },
      );
      return f.clean;
    };
    for (const s of this.snapshots) {
      const clean = await snapshotChecks(s.ask.scenario, s.ask.label, s.path, s.files);
      // a dirty frozen snapshot is evidence a reviewer can open; controls are dirty by nature
      if (clean || s.ask.label !== 'frozen') await rm(s.path, { force: true });
    }
    for (const e of this.exports) {
      const path = disks[e.disk];
      if (!path) checks.push({ fs: this.fs, scenario: e.scenario, name: `host-fsck-${e.label}`, ret: -1, errno: 0, ms: 0, note: `the guest names disk ${e.disk}, which it does not have` });
      else if (!(await snapshotChecks(e.scenario, e.label, path, e.files))) this.dirtyCopies.add(path);
    }
    const frozen = this.counters.find((c) => c.ask.label === 'frozen');
    const thaw = this.counters.find((c) => c.ask.label === 'thaw');
    if (frozen && thaw) {
      checks.push({
        fs: this.fs,
        scenario: frozen.ask.scenario,
        name: 'host-device-writes',
        ret: thaw.wrOperations - frozen.wrOperations,
        errno: 0,
        ms: thaw.at - frozen.at,
        v: thaw.wrBytes - frozen.wrBytes,
        note: `flushes ${thaw.flushOperations - frozen.flushOperations}; wr_operations ${frozen.wrOperations} -> ${thaw.wrOperations}, wr_bytes ${frozen.wrBytes} -> ${thaw.wrBytes}`,
      });
    }
    // a scenario's own frozen windows: "X" before, "X-end" after (remount-frozen)
    for (const a of this.counters) {
      const b = this.counters.find((c) => c.ask.scenario === a.ask.scenario && c.ask.label === `${a.ask.label}-end`);
      if (!b) continue;
      checks.push({
        fs: this.fs,
        scenario: a.ask.scenario,
        name: `host-device-writes-${a.ask.label}`,
        ret: b.wrOperations - a.wrOperations,
        errno: 0,
        ms: b.at - a.at,
        v: b.wrBytes - a.wrBytes,
        note: `flushes ${b.flushOperations - a.flushOperations}; wr_operations ${a.wrOperations} -> ${b.wrOperations}, wr_bytes ${a.wrBytes} -> ${b.wrBytes}`,
      });
    }
    return checks;
  }
}
