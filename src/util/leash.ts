/**
 * Children that die with the rig, even when the rig itself is killed with
 * SIGKILL (a CI runner's hard timeout, the OOM killer, a closed terminal),
 * which no handler in this process can catch. The kernel does it: util-linux's
 * setpriv sets PR_SET_PDEATHSIG and then execs the program, so the child gets
 * the signal the moment the thread that started it ends. Node starts children
 * from its main thread, whose end is the process's. Command lines only: pure.
 */

/** The program that puts a parent-death signal on a child (util-linux, on every Debian). */
export const SETPRIV = 'setpriv';

/**
 * bin under a parent-death SIGKILL: setpriv execs it, so the process is bin
 * itself (pgrep and kill see QEMU, not a wrapper) and nothing is left to
 * reap. For a program without children of its own: QEMU.
 */
export function leashed(bin: string, args: string[]): { file: string; args: string[] } {
  return { file: SETPRIV, args: ['--pdeathsig', 'KILL', '--', bin, ...args] };
}

/**
 * bin with every process it starts (make's compiler jobs): a parent-death
 * SIGKILL reaches only the process it was set on, and gcc's parent is make's
 * shell, not the rig. So the child is a shell, run in a process group of its
 * own (spawn it detached), that gets SIGTERM when the rig dies and then kills
 * its whole group. The program runs in the background so that the shell's
 * trap runs at once (a shell runs traps only between commands); its standard
 * input is passed on by hand, because a background job's is /dev/null.
 * Exits with the program's status.
 */
export function leashedGroup(bin: string, args: string[]): { file: string; args: string[]; detached: true } {
  const script = 'trap "kill -KILL 0" TERM INT HUP; exec 3<&0; "$@" <&3 3<&- & wait $!';
  return { file: SETPRIV, args: ['--pdeathsig', 'TERM', '--', 'sh', '-c', script, 'freeze-rig-leash', bin, ...args], detached: true };
}
