import { createConnection, type Socket } from 'node:net';

/**
 * A minimal QMP client: connect to QEMU's unix socket, leave capabilities
 * negotiation, then one command at a time. Events QEMU sends on its own are
 * skipped. Every call has a timeout: a QEMU that stops answering is an error,
 * not a hang.
 */
export class Qmp {
  private buf = '';
  private waiting: ((msg: Record<string, unknown>) => void)[] = [];

  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    // QEMU killed under us: the calls waiting time out; an unheard 'error' would end the process
    sock.on('error', () => undefined);
    sock.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as Record<string, unknown>;
        if ('event' in msg) continue;
        this.waiting.shift()?.(msg);
      }
    });
  }

  static async connect(path: string, timeoutMs = 5000): Promise<Qmp> {
    const sock = createConnection(path);
    // not unref'd: a run awaiting this must get its error, not an empty event loop (node exits 13)
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((res, rej) => {
      sock.once('connect', res);
      sock.once('error', rej);
      timer = setTimeout(() => rej(new Error(`QMP: no connection to ${path} in ${timeoutMs} ms`)), timeoutMs);
    }).catch((err: Error) => {
      sock.destroy();
      throw err;
    }).finally(() => clearTimeout(timer));
    const q = new Qmp(sock);
    try {
      await q.next(timeoutMs); // the greeting
      await q.execute('qmp_capabilities', undefined, timeoutMs);
    } catch (err) {
      q.close();
      throw err;
    }
    return q;
  }

  private next(timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`QMP: no answer in ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push((m) => {
        clearTimeout(t);
        res(m);
      });
    });
  }

  async execute(command: string, args?: Record<string, unknown>, timeoutMs = 5000): Promise<unknown> {
    const answer = this.next(timeoutMs);
    this.sock.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}) })}\n`);
    const m = await answer;
    if ('error' in m) throw new Error(`QMP ${command}: ${JSON.stringify(m.error)}`);
    return m.return;
  }

  close(): void {
    this.sock.destroy();
  }
}

/**
 * QMP send-key arguments for Alt+SysRq+key: the kernel's magic SysRq from
 * the guest's keyboard, which works when user space cannot (a guest that
 * went silent). Pure.
 */
export const sysrqKeys = (key: string) => ({ keys: ['alt', 'sysrq', key].map((data) => ({ type: 'qcode', data })) });

/** One disk's counters, from query-blockstats. */
export interface BlockStats {
  device: string;
  qdev: string;
  wrOperations: number;
  wrBytes: number;
  flushOperations: number;
}

/** The guest's disks and their counters, from query-blockstats. Pure. */
export function blockStats(ret: unknown): BlockStats[] {
  return ((ret as { device?: string; qdev?: string; stats: { wr_operations: number; wr_bytes: number; flush_operations?: number } }[]) ?? []).map((d) => ({
    device: d.device ?? '',
    qdev: d.qdev ?? '',
    wrOperations: d.stats.wr_operations,
    wrBytes: d.stats.wr_bytes,
    flushOperations: d.stats.flush_operations ?? 0,
  }));
}

/** Write counters of the guest's disks, by device. Pure. */
export function writeCounters(ret: unknown): Record<string, { wrOperations: number; wrBytes: number }> {
  return Object.fromEntries(blockStats(ret).map((d) => [d.qdev || d.device || '?', { wrOperations: d.wrOperations, wrBytes: d.wrBytes }]));
}
