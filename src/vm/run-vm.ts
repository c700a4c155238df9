import { open, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { execa } from 'execa';
import { infraError } from '../errors.ts';
import { qemuArgs, type VmSpec } from './qemu-command.ts';
import { parseConsoleLine, type ParsedConsole } from './console.ts';
import { track } from './processes.ts';
import { commandMissing } from '../util/exec.ts';
import { reproducerScript } from '../util/shell.ts';
import { leashed } from '../util/leash.ts';

export type VmEnd =
  /** the guest powered off after its last result */
  | 'poweroff'
  /** the kernel panicked (-no-reboot turns panic=1's reboot into an exit) */
  | 'panic'
  /** wall-clock limit reached: killed */
  | 'timeout'
  /** the guest printed nothing for too long: killed */
  | 'silent'
  /** the console passed its size cap: killed */
  | 'overflow'
  /** QEMU exited without the guest finishing */
  | 'qemu-died'
  /** the guest stopped answering the host in a handshake: killed */
  | 'handshake'
  /** the kernel reported a CPU stuck in it (soft lockup): killed once its report was out */
  | 'lockup';

/**
 * How long the host lets a guest go on after the kernel's soft lockup
 * report, so that the report's stack trace reaches the console. On a
 * uniprocessor guest without preemption nothing else runs again: the
 * guest's own watchdog cannot end the scenario, only the host can.
 */
export const LOCKUP_GRACE_MS = 3000;

export interface VmResult extends ParsedConsole {
  end: VmEnd;
  /** why the run was aborted (the signal's reason), when it was */
  endWhy?: string;
  exitCode: number | undefined;
  seconds: number;
  lines: string[];
  log: string;
  stderr: string;
  /** the command line that boots this guest again by hand: its console on stdout, not over this run's log */
  argv: string[];
}

export interface RunVmOptions {
  spec: VmSpec;
  /** console log file */
  log: string;
  wallSeconds: number;
  silenceSeconds: number;
  maxConsoleBytes?: number;
  /** the event that says the guest is done (default: {"event":"done"}) */
  isDone?: (data: Record<string, unknown>) => boolean;
  onEvent?: (data: Record<string, unknown>) => void;
  onLine?: (line: string) => void;
  qemu?: string;
  /** aborting kills the guest; the run ends as 'handshake', with the abort's reason as endWhy */
  signal?: AbortSignal;
  /**
   * Called once when the guest first falls silent, before it is ended: the
   * place to ask the kernel what it is doing (sysrq through QMP). The guest
   * then has SILENT_GRACE_S more of silence before it ends as 'silent'.
   */
  onSilent?: () => Promise<unknown>;
  /** write the QEMU command line here as a script before QEMU starts */
  reproducer?: string;
  /** shell lines the reproducer runs first (e.g. making deleted disks again) */
  reproducerSetup?: string[];
}

/** How often the console file is read while the guest runs. */
const TAIL_MS = 20;

/** How long a silent guest may stay silent after onSilent asked it to speak. */
export const SILENT_GRACE_S = 10;

export async function runVm(o: RunVmOptions): Promise<VmResult> {
  // QEMU writes the console into the log file, and this function reads it as it grows (qemu-command.ts: consoleFile)
  const argv = qemuArgs({ ...o.spec, consoleFile: o.log });
  await rm(o.log, { force: true });
  const bin = o.qemu ?? 'qemu-system-x86_64';
  // the command line a person reruns: the console on stdout, not in the rig's log file
  const byHand = [bin, ...qemuArgs(o.spec)];
  if (o.reproducer) {
    const about = ['freeze-rig: this guest, booted again by hand (its console on stdout; the rig\'s host side, which answers its asks, is not here)'];
    await writeFile(o.reproducer, reproducerScript(about, byHand, {}, o.reproducerSetup), { mode: 0o755 });
  }
  const state: ParsedConsole = { events: [], problems: [], malformed: [] };
  const lines: string[] = [];
  const started = Date.now();
  const cap = o.maxConsoleBytes ?? 8 * 1024 * 1024;
  let bytes = 0;
  let end: VmEnd | undefined;
  let done = false;
  let pending = '';

  // leashed: QEMU dies with the rig, even when the rig is killed with SIGKILL
  const leash = leashed(bin, argv);
  const child = execa(leash.file, leash.args, { reject: false, buffer: { stderr: true }, stdin: 'ignore', stdout: 'ignore', killSignal: 'SIGKILL' });
  track(child);
  const kill = (why: VmEnd) => {
    end ??= why;
    child.kill('SIGKILL');
  };
  // the first silence asks the kernel for its state (onSilent), the next ends the guest
  let asked = false;
  const silent = () => {
    if (asked || !o.onSilent) return kill('silent');
    asked = true;
    void o.onSilent!().catch(() => undefined);
    silence = setTimeout(silent, SILENT_GRACE_S * 1000);
  };
  let silence = setTimeout(silent, o.silenceSeconds * 1000);
  const wall = setTimeout(() => kill('timeout'), o.wallSeconds * 1000);
  o.signal?.addEventListener('abort', () => kill('handshake'), { once: true });

  let lockup: ReturnType<typeof setTimeout> | undefined;
  const onData = (d: Buffer) => {
    bytes += d.length;
    if (bytes > cap) return kill('overflow');
    clearTimeout(silence);
    silence = setTimeout(silent, (asked ? SILENT_GRACE_S : o.silenceSeconds) * 1000);
    const parts = (pending + d.toString('utf8')).split('\n');
    pending = parts.pop() ?? '';
    for (const raw of parts) {
      const line = raw.replace(/\r$/, '');
      const before = state.events.length;
      const problems = state.problems.length;
      parseConsoleLine(state, line, lines.length);
      if (!lockup && state.problems.slice(problems).some((p) => p.kind === 'soft-lockup')) lockup = setTimeout(() => kill('lockup'), LOCKUP_GRACE_MS);
      lines.push(line);
      o.onLine?.(line);
      for (const ev of state.events.slice(before)) {
        o.onEvent?.(ev.data);
        if ((o.isDone ?? ((e) => e.event === 'done'))(ev.data)) done = true;
      }
    }
  };
  // the console file, read from where the last read ended, every TAIL_MS and once more at the end
  let fh: FileHandle | undefined;
  let offset = 0;
  let reading: Promise<void> | undefined;
  const chunk = Buffer.alloc(64 * 1024);
  const readMore = async () => {
    fh ??= await open(o.log, 'r').catch(() => undefined);
    for (let n = 1; fh && n > 0; ) {
      n = (await fh.read(chunk, 0, chunk.length, offset)).bytesRead;
      offset += n;
      if (n > 0) onData(Buffer.from(chunk.subarray(0, n)));
    }
  };
  const tail = setInterval(() => (reading ??= readMore().finally(() => (reading = undefined))), TAIL_MS);

  const r = await child;
  clearInterval(tail);
  await reading;
  await readMore();
  await fh?.close();
  clearTimeout(silence);
  clearTimeout(wall);
  clearTimeout(lockup);
  if (pending) {
    parseConsoleLine(state, pending, lines.length);
    lines.push(pending);
  }
  // setpriv says so when it cannot exec QEMU (exit 127)
  if (commandMissing(r) || (r.exitCode === 127 && /failed to execute/.test(String(r.stderr ?? '')))) {
    throw infraError(`${bin} is not installed`, { hint: 'apt-get install --no-install-recommends qemu-system-x86 (or run: freeze-rig doctor)' });
  }
  if (!end) {
    if (state.problems.some((p) => p.kind === 'panic')) end = 'panic';
    else if (done && r.exitCode === 0) end = 'poweroff';
    else end = 'qemu-died';
  }
  return {
    ...state,
    end,
    ...(end === 'handshake' && o.signal?.reason !== undefined ? { endWhy: String(o.signal.reason) } : {}),
    exitCode: r.exitCode,
    seconds: (Date.now() - started) / 1000,
    lines,
    log: o.log,
    stderr: String(r.stderr ?? ''),
    argv: byHand,
  };
}
