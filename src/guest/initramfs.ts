import { cpioNewc, gzipDeterministic, type CpioEntry } from './cpio.ts';

export interface InitramfsSpec {
  /** The static PID 1. */
  init: Uint8Array;
  /** Extra files, e.g. a scenario plan or a user's workload binary. */
  files?: { path: string; data: Uint8Array; mode?: number }[];
}

/**
 * The guest's initramfs. /dev/console must exist in the archive itself: the
 * kernel opens it for PID 1 before any init code runs, and 2.6.27 has no
 * devtmpfs to provide it.
 */
export function initramfsEntries(spec: InitramfsSpec): CpioEntry[] {
  const dirs = new Set(['dev', 'proc', 'sys', 'mnt', 'tmp']);
  for (const f of spec.files ?? []) {
    const parts = f.path.replace(/^\/+/, '').split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [
    ...[...dirs].map((path): CpioEntry => ({ type: 'dir', path })),
    { type: 'char', path: 'dev/console', major: 5, minor: 1, mode: 0o600 },
    { type: 'char', path: 'dev/ttyS0', major: 4, minor: 64, mode: 0o600 },
    { type: 'char', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
    { type: 'file', path: 'init', data: spec.init, mode: 0o755 },
    ...(spec.files ?? []).map((f): CpioEntry => ({ type: 'file', path: f.path.replace(/^\/+/, ''), data: f.data, mode: f.mode ?? 0o644 })),
  ];
}

export const buildInitramfs = (spec: InitramfsSpec) => gzipDeterministic(cpioNewc(initramfsEntries(spec)));
