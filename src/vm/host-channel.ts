import { createConnection, type Socket } from 'node:net';

/**
 * The host's side of the guest handshake (rig/guest/host.c). The guest asks
 * on the console ({"event":"ask","id":N,"what":...}); the host does it and
 * answers on the guest's second serial port, a unix socket here: one line,
 * "N ok TEXT" or "N err TEXT". Both sides have time limits: the host bounds
 * each action and answers err when it runs over; the guest bounds its wait.
 */
export interface Ask {
  id: number;
  what: string;
  label: string;
  fs: string;
  scenario: string;
}

/** The ask a console event carries, or undefined. Pure. */
export function askOf(e: Record<string, unknown>): Ask | undefined {
  if (e.event !== 'ask' || typeof e.id !== 'number' || typeof e.what !== 'string') return undefined;
  return { id: e.id, what: e.what, label: String(e.label ?? ''), fs: String(e.fs ?? ''), scenario: String(e.scenario ?? '') };
}

/** The answer line for the guest: one line, whatever the text holds. Pure. */
export function answerLine(id: number, ok: boolean, text: string): string {
  return `${id} ${ok ? 'ok' : 'err'} ${text.replace(/[\r\n]+/g, ' ').slice(0, 200)}\n`;
}

/** What the host did for one ask. */
export interface AskRecord extends Ask {
  ok: boolean;
  /** the answer's text: what was done, or why not */
  text: string;
  /** how long the host took, ms */
  ms: number;
}

export type AskHandler = (ask: Ask) => Promise<string>;

export interface AskServerOptions {
  /** the socket QEMU listens on for the guest's ttyS1 */
  channel: string;
  handlers: Record<string, AskHandler>;
  /** the most an action may take before the host answers err (default 15 s; the guest waits 20 s) */
  actionMs?: number;
  /** after an answer, the most the guest may stay silent before it counts as stopped (default 30 s) */
  guestMs?: number;
  /** called once if the guest stops answering after an answer */
  onGuestSilent?: (after: AskRecord) => void;
  /** tests: take asks and never answer them */
  mute?: boolean;
}

/** A failure after `ms`, for racing an action against its limit. */
function limit(ms: number, what: string): { promise: Promise<never>; cancel: () => void } {
  let t: NodeJS.Timeout;
  const promise = new Promise<never>((_, rej) => {
    t = setTimeout(() => rej(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return { promise, cancel: () => clearTimeout(t) };
}

/**
 * Serves one guest's asks, one at a time and in order. Every guest event
 * (call `seen`) shows the guest is still going; an answer followed by
 * silence for `guestMs` is reported through onGuestSilent.
 */
export class AskServer {
  readonly records: AskRecord[] = [];
  private queue: Promise<void> = Promise.resolve();
  private sock: Promise<Socket> | undefined;
  private silent: NodeJS.Timeout | undefined;

  constructor(private readonly o: AskServerOptions) {}

  /** The guest printed something: it is alive. */
  seen(): void {
    clearTimeout(this.silent);
    this.silent = undefined;
  }

  /** Takes an ask from the console; it is served after the ones before it. */
  take(ask: Ask): void {
    this.seen();
    this.queue = this.queue.then(() => this.serve(ask));
  }

  private connect(): Promise<Socket> {
    this.sock ??= new Promise((res, rej) => {
      const s = createConnection(this.o.channel);
      const t = setTimeout(() => rej(new Error(`no connection to the guest channel ${this.o.channel} in 5 s`)), 5000);
      s.once('connect', () => {
        clearTimeout(t);
        res(s);
      });
      s.once('error', (e) => {
        clearTimeout(t);
        rej(e);
      });
      // what the guest writes to ttyS1 is not part of the protocol
      s.on('data', () => undefined);
    });
    return this.sock;
  }

  private async serve(ask: Ask): Promise<void> {
    const t0 = Date.now();
    let ok = false;
    let text: string;
    const handler = this.o.handlers[ask.what];
    if (!handler) text = `the host does not know "${ask.what}"`;
    else {
      const cap = limit(this.o.actionMs ?? 15_000, `${ask.what} ${ask.label}`);
      try {
        const done = handler(ask);
        done.catch(() => undefined); // it may fail after its time ran out: answered already
        text = await Promise.race([done, cap.promise]);
        ok = true;
      } catch (e) {
        text = (e as Error).message;
      } finally {
        cap.cancel();
      }
    }
    const rec: AskRecord = { ...ask, ok, text, ms: Date.now() - t0 };
    this.records.push(rec);
    if (this.o.mute) return;
    try {
      const s = await this.connect();
      await new Promise<void>((res, rej) => s.write(answerLine(ask.id, ok, text), (e) => (e ? rej(e) : res())));
    } catch (e) {
      rec.ok = false;
      rec.text += `; the answer did not reach the guest: ${(e as Error).message}`;
      return;
    }
    this.silent = setTimeout(() => this.o.onGuestSilent?.(rec), this.o.guestMs ?? 30_000);
  }

  /** Waits for the asks taken so far, then lets go of the channel. */
  async close(): Promise<void> {
    await this.queue;
    this.seen();
    const s = await this.sock?.catch(() => undefined);
    s?.destroy();
  }
}
