import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { inputError } from '../errors.ts';
import { repoPath } from '../paths.ts';
import { FILESYSTEMS, type FsName } from '../guest/disk-images.ts';
import { isScenario, SCENARIOS } from './ids.ts';

/**
 * What a revision offers and promises (patches/series/REV/manifest.json).
 * The guest takes its interface from here and the judge its expectations,
 * never from the code under test. An outcome is "0" (success) or an errno
 * name.
 */
export type Outcome = string;

/** The calls compat32 makes from a 32-bit process. */
export const COMPAT32_CALLS = ['freeze', 'thaw', 'reset', 'xfsFreeze', 'xfsThaw'] as const;
export type Compat32Call = (typeof COMPAT32_CALLS)[number];

/** What a remount of a frozen fs does: an outcome while frozen, or it waits for the thaw. */
export type RemountOutcome = Outcome | 'waits-for-thaw';

/** What a call that meets device-mapper's freeze does: an outcome at once, or it waits for dm's resume. */
export type DmOutcome = Outcome | 'waits-for-resume';

export interface DmSnapshotPromise {
  /** dm's suspend (lockfs) of a fs frozen through the interface: returns at once, or waits for the thaw */
  suspendWhileFrozen?: 'nests' | 'waits-for-thaw';
  /** while dm's suspend holds the freeze: the interface's thaw (it must not end dm's freeze) */
  thawDuringSuspend?: DmOutcome;
  /** then the interface's freeze */
  freezeDuringSuspend?: DmOutcome;
}

/** The argument forms of timeout-compat-args, and what each must do. */
export const TIMEOUT_FORMS = ['zero', 'one', 'null', 'int1-garbage'] as const;
export type TimeoutForm = (typeof TIMEOUT_FORMS)[number];
/** "none": no timeout; "expires": a short timeout fires; otherwise the freeze fails with that errno. */
export type FormOutcome = 'none' | 'expires' | Outcome;

export interface TimeoutPromise {
  /** What the kernel reads the argument as (the ioctl number's type). */
  argument: 'int' | 'long';
  forms: Record<TimeoutForm, FormOutcome>;
  /** A thaw after the timeout thawed the fs. */
  thawAfterExpiry: Outcome;
  /** FIFREEZE_RESET_TIMEOUT, when offered: what a reset on a thawed fs returns. */
  reset: { resetThawed: Outcome } | null;
}

/** The report kinds a manifest may expect; a BUG, oops, panic, soft lockup or hung task never is. */
const EXPECTABLE_KINDS = ['lockdep', 'object-debug', 'slab', 'warning'] as const;

/** A console report the revision knowingly produces, with the reason. */
export interface ExpectedReport {
  kind: (typeof EXPECTABLE_KINDS)[number];
  /** A substring of the report's first line. */
  match: string;
  /** Every lock the report lists as held must contain one of these names. */
  locks?: string[];
  why: string;
}

export interface FsManifest {
  /** How the guest freezes this fs: generic FIFREEZE/FITHAW, XFS's own, ext3's own, or none. */
  iface: 'generic' | 'xfs-legacy' | 'ext3' | null;
  /** Why there is no interface, when iface is null. */
  why?: string;
  errors?: {
    thawThawed: Outcome;
    secondFreeze: Outcome;
    nonRootFreeze: Outcome;
    nonRootThaw: Outcome;
    /** Freezing tmpfs (no ->write_super_lockfs, no block device). */
    cannotFreeze: Outcome;
  };
  timeout?: TimeoutPromise | null;
  /** 'X' 119/120 with an int 1, as xfs_freeze issues them. */
  legacyXfsIoctl?: 'works' | Outcome;
  /**
   * compat32: what each call does from a 32-bit process (IA32_EMULATION),
   * by the interface: freeze, thaw, reset; xfsFreeze and xfsThaw are
   * 32-bit xfs_freeze's 'X' 119/120 on XFS.
   */
  compat32?: Partial<Record<Compat32Call, Outcome>>;
  /** umount of a frozen fs with no open files. "hangs" is not run: nothing could end it. */
  umountFrozen?: 'EBUSY' | 'waits-for-thaw' | 'hangs';
  /**
   * remount-frozen: what a remount of a frozen fs does, with its flags
   * unchanged and with ro: an outcome while frozen ("0", "EBUSY") or
   * "waits-for-thaw".
   */
  remountFrozen?: { same: RemountOutcome; ro: RemountOutcome };
  /** freeze-read-only: a read-only fs frozen (the freeze's outcome), remounted rw, thawed. */
  freezeReadOnly?: { freeze: Outcome; remountRw: RemountOutcome; thaw: Outcome };
  /** lazy-umount-frozen: umount2(MNT_DETACH) of a frozen fs: "0" (and the fs thaws and mounts again) or its errno. */
  lazyUmountFrozen?: Outcome;
  /**
   * dm-snapshot: where device-mapper's own freeze (a suspend with lockfs,
   * as lvcreate -s does) meets this interface's, on one block device. With
   * no interface, {} runs dm's snapshot alone.
   */
  dmSnapshot?: DmSnapshotPromise;
  /**
   * frozen-isolation: while this fs is frozen for 10 s (pages dirtied
   * through a mapping, memory short), another filesystem's writes finish
   * within this bound (the slowest of them, in ms).
   */
  frozenIsolation?: { writeLatencyMaxMs: number };
  /**
   * emergency-thaw: what SysRq j does to a fs frozen through the interface
   * with no timeout: "thaws" it (a writer resumes, a later thaw finds
   * nothing to end), or "none" (it stays frozen until the interface thaws).
   */
  emergencyThaw?: 'thaws' | 'none';
  /**
   * freeze-io-error: after a freeze that failed (every request to the disk
   * failing during the call), what a write+fsync returns at once: "0" (the
   * fs stays writable) or the errno of the filesystem's own error policy
   * (an aborted journal: EROFS; a shut-down XFS: EIO). Absent: "0".
   */
  freezeIoError?: { afterFailedFreeze: Outcome };
  dmesg?: { expected: ExpectedReport[] };
  /**
   * Scenarios this revision is known to fail, each with its evidence (the
   * console lines, the analysis). They still run: a failure is reported as
   * the known issue and does not fail the run; a pass fails it, since the
   * manifest no longer tells the truth. An error of the rig is never excused.
   * An intermittent one (a race the rig cannot force yet) may pass too: say
   * so, with how often it showed. One that hangs or locks up its guest says
   * so too (`hangs`): the rig then gives it a guest of its own, since it
   * costs its whole watchdog budget.
   */
  knownIssues?: Record<string, string | { why: string; intermittent?: true; hangs?: true }>;
  /**
   * What differs on an SMP, preemptible kernel (run --smp), merged over this
   * entry when the kernel has more than one CPU: a race that interleaves
   * differently, a report only a second CPU produces. A known issue set to
   * null here is not one on SMP. `why` says what differs and the evidence.
   */
  smp?: { why: string; knownIssues?: Record<string, string | { why: string; intermittent?: true; hangs?: true } | null>; dmesg?: { expected: ExpectedReport[] } };
}

export interface Manifest {
  revision: string;
  summary: string;
  /** A known-bad fixture names the revision whose promises it claims to keep. */
  extends?: string;
  /** Fixtures only: the scenarios this fixture must fail. */
  breaks?: string[];
  /**
   * Its own patches go after this patch of the revision it extends, not
   * after the last: a bad patch in the middle of a series, for bisect.
   */
  insertAfter?: string;
  ioctls: { name: string; number: string; argument: string; filesystems: FsName[] }[];
  filesystems: Record<FsName, FsManifest>;
  /** The rule for a second freeze, in words (the errno is per fs). */
  secondFreeze?: string;
  notes?: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A known issue's evidence, whether it is intermittent and whether it hangs
 * its guest, from either form the manifest allows; undefined for anything
 * else (validation says so). Pure.
 */
export function knownIssueOf(issue: unknown): { why: string; intermittent: boolean; hangs: boolean } | undefined {
  if (typeof issue === 'string') return { why: issue, intermittent: false, hangs: false };
  if (!isObject(issue) || typeof issue.why !== 'string') return undefined;
  const flags = Object.keys(issue).filter((k) => k !== 'why');
  if (!flags.length || flags.some((k) => !['intermittent', 'hangs'].includes(k) || issue[k] !== true)) return undefined;
  return { why: issue.why, intermittent: issue.intermittent === true, hangs: issue.hangs === true };
}

/** Deep merge for manifests: objects merge, everything else replaces. Pure. */
export function mergeManifest<T>(base: T, over: unknown): T {
  if (!isObject(base) || !isObject(over)) return (over === undefined ? base : over) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? mergeManifest(out[k], v) : v;
  return out as T;
}

/** The kernels a manifest speaks of: uniprocessor (the default) and SMP (run --smp). */
export type KernelFlavor = 'up' | 'smp';
export const flavorOf = (cpus: number): KernelFlavor => (cpus > 1 ? 'smp' : 'up');

/**
 * The manifest a kernel of that flavor is judged by: on SMP each
 * filesystem's `smp` entry merged over it (its dmesg.expected added to the
 * filesystem's, a known issue set to null dropped). Pure.
 */
export function forFlavor(m: Manifest, flavor: KernelFlavor): Manifest {
  const filesystems = {} as Record<FsName, FsManifest>;
  for (const fs of FILESYSTEMS) {
    const { smp, ...f } = m.filesystems[fs] ?? ({} as FsManifest);
    if (flavor === 'up' || !smp) {
      filesystems[fs] = f as FsManifest;
      continue;
    }
    const knownIssues = Object.fromEntries(Object.entries({ ...f.knownIssues, ...smp.knownIssues }).filter(([, v]) => v !== null)) as FsManifest['knownIssues'];
    const expected = [...(f.dmesg?.expected ?? []), ...(smp.dmesg?.expected ?? [])];
    filesystems[fs] = { ...f, knownIssues, ...(expected.length || f.dmesg ? { dmesg: { expected } } : {}) };
  }
  return { ...m, filesystems };
}

/** The manifest's published schema: every field, its type and allowed values, and what it means. */
export const MANIFEST_SCHEMA = repoPath('src/scenarios/manifest.schema.json');

let compiled: ReturnType<Ajv['compile']> | undefined;

/** The keys of a JSON pointer (/filesystems/ext3/umountFrozen), unescaped. Pure. */
const pointerKeys = (pointer: string) => pointer.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));

/** A field's path as a manifest's author writes it: filesystems.ext3.umountFrozen. */
const fieldOf = (instancePath: string) => pointerKeys(instancePath).join('.');

/**
 * One schema complaint in the author's words: the field, what is wrong,
 * what is allowed and what the field means (its description). Pure.
 */
export function schemaComplaint(e: ErrorObject, value: unknown): string {
  const field = fieldOf(e.instancePath);
  const at = field ? `${field}` : 'the manifest';
  const means = (e.parentSchema as { description?: string } | undefined)?.description;
  const meaning = means ? ` (${means})` : '';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'enum':
      return `${at} is ${JSON.stringify(value)}: it must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}${meaning}`;
    case 'const':
      return `${at} is ${JSON.stringify(value)}: it must be ${JSON.stringify(p.allowedValue)}`;
    case 'required': {
      // what the missing field means, not what its parent does
      const missing = (e.parentSchema as { properties?: Record<string, { description?: string }> } | undefined)?.properties?.[String(p.missingProperty)]?.description;
      return `${field ? `${field}: ` : ''}"${String(p.missingProperty)}" is missing${missing ? ` (${missing})` : ''}`;
    }
    case 'additionalProperties': {
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return `${field ? `${field}.` : ''}${String(p.additionalProperty)} is not a field here${known.length ? ` (the fields: ${known.join(', ')})` : ''}`;
    }
    case 'type':
      return `${at} is ${JSON.stringify(value)}: it must be ${String(p.type)}${meaning}`;
    default:
      return `${at} ${e.message ?? 'is invalid'}${meaning}`;
  }
}

/** The value at a JSON pointer, for the complaint. Pure. */
const valueAt = (m: unknown, pointer: string) => pointerKeys(pointer).reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), m);

/**
 * The schema's first complaint about a manifest, or undefined. Of the
 * alternatives an anyOf offers, the complaint about the one the author
 * evidently meant (the deepest) is the useful one.
 */
export function manifestSchemaError(m: unknown): string | undefined {
  compiled ??= new Ajv({ allErrors: true, strict: true, verbose: true }).compile(JSON.parse(readFileSync(MANIFEST_SCHEMA, 'utf8')));
  if (compiled(m)) return undefined;
  const errors = (compiled.errors ?? []).filter((e) => e.keyword !== 'anyOf');
  const depth = (e: ErrorObject) => e.instancePath.split('/').length;
  // the deepest complaint names the field; on a tie, one that is not about a null the field may also be
  const best = errors.sort((a, b) => depth(b) - depth(a) || Number(a.keyword === 'type' && a.params.type === 'null') - Number(b.keyword === 'type' && b.params.type === 'null'))[0];
  return best ? schemaComplaint(best, valueAt(m, best.instancePath)) : 'does not match its schema';
}

/** Checks the shape a judge relies on; errors name the field. Pure. */
export function validateManifest(m: Manifest, where: string): void {
  const bad = (what: string) => inputError(`${where}: ${what}`, { hint: `fix that field; the schema is ${MANIFEST_SCHEMA}, and patches/series/generic-v3/manifest.json a complete manifest` });
  if (!isObject(m)) throw bad('a manifest is a JSON object');
  if (typeof m.revision !== 'string') throw bad('"revision" must be a string');
  if (m.breaks !== undefined && !Array.isArray(m.breaks)) throw bad('"breaks" must be a list of scenario ids');
  for (const id of m.breaks ?? []) if (typeof id !== 'string' || !isScenario(id)) throw bad(`breaks: ${String(id)} is not a scenario (${SCENARIOS.join(', ')})`);
  if (!isObject(m.filesystems)) throw bad('"filesystems" must name ext3 and xfs');
  for (const fs of FILESYSTEMS) {
    const f = m.filesystems[fs];
    if (!isObject(f)) throw bad(`no entry for ${fs} in "filesystems"`);
    if (!('iface' in f)) throw bad(`${fs}: "iface" is missing: "generic", "xfs-legacy", "ext3", or null for no freeze interface`);
    // the same rules for a filesystem's own reports and known issues and for its smp entry's
    const checkReports = (expected: ExpectedReport[] | undefined, field: string) => {
      if (expected !== undefined && !Array.isArray(expected)) throw bad(`${fs}: ${field} must be a list of reports`);
      for (const e of expected ?? []) {
        if (!isObject(e)) throw bad(`${fs}: ${field} holds ${JSON.stringify(e)}: each is { "kind", "match", "why" }`);
        if (!(EXPECTABLE_KINDS as readonly string[]).includes(e.kind)) throw bad(`${fs}: ${field} kind ${String(e.kind)} cannot be expected (${EXPECTABLE_KINDS.join(', ')}); a crash is a known issue of its scenario`);
      }
    };
    const checkKnownIssues = (issues: Record<string, unknown> | undefined, field: string, nullMeans?: string) => {
      if (issues !== undefined && !isObject(issues)) throw bad(`${fs}: ${field} must be an object: scenario id -> its evidence`);
      for (const [id, issue] of Object.entries(issues ?? {})) {
        if (!isScenario(id)) throw bad(`${fs}: ${field}.${id} is not a scenario (${SCENARIOS.join(', ')})`);
        if (issue === null && nullMeans) continue;
        const why = knownIssueOf(issue)?.why;
        if (!why || why.length < 40) throw bad(`${fs}: ${field}.${id} needs its evidence as a string (or { "why": ..., "intermittent": true, "hangs": true }, either flag or both): what fails, the console lines, why${nullMeans ? `; or null ${nullMeans}` : ''}`);
      }
    };
    checkReports(f.dmesg?.expected, 'dmesg.expected');
    checkKnownIssues(f.knownIssues, 'knownIssues');
    if (f.smp !== undefined) {
      const extra = Object.keys(f.smp ?? {}).filter((k) => !['why', 'knownIssues', 'dmesg'].includes(k));
      if (!isObject(f.smp) || typeof f.smp.why !== 'string' || f.smp.why.length < 40) throw bad(`${fs}: smp needs "why" (what differs on an SMP kernel, and the evidence)`);
      if (extra.length) throw bad(`${fs}: smp.${extra[0]}: an SMP kernel may differ only in knownIssues and dmesg.expected`);
      checkKnownIssues(f.smp.knownIssues, 'smp.knownIssues', 'where the issue does not show on SMP');
      checkReports(f.smp.dmesg?.expected, 'smp.dmesg.expected');
    }
    if (f.dmSnapshot !== undefined && !isObject(f.dmSnapshot)) throw bad(`${fs}: dmSnapshot must be an object ({} where there is no freeze interface)`);
    if (f.iface === null) continue;
    if (!['generic', 'xfs-legacy', 'ext3'].includes(f.iface)) throw bad(`${fs}: unknown iface ${String(f.iface)}`);
    if (!f.errors) throw bad(`${fs}: an interface needs "errors"`);
    if (f.timeout) for (const form of TIMEOUT_FORMS) if (!f.timeout.forms?.[form]) throw bad(`${fs}: timeout.forms.${form} is missing`);
    if (f.frozenIsolation !== undefined && !(typeof f.frozenIsolation?.writeLatencyMaxMs === 'number' && f.frozenIsolation.writeLatencyMaxMs > 0)) throw bad(`${fs}: frozenIsolation.writeLatencyMaxMs must be a bound in ms`);
    if (f.emergencyThaw !== undefined && !['thaws', 'none'].includes(f.emergencyThaw)) throw bad(`${fs}: emergencyThaw must be "thaws" or "none" (what SysRq j does to a fs frozen through ${f.iface})`);
    if (f.freezeIoError !== undefined && typeof f.freezeIoError?.afterFailedFreeze !== 'string') throw bad(`${fs}: freezeIoError.afterFailedFreeze must be "0" or an errno name (what a write returns after a freeze that failed)`);
    const dm = f.dmSnapshot;
    if (dm) {
      if (!['nests', 'waits-for-thaw'].includes(String(dm.suspendWhileFrozen))) throw bad(`${fs}: dmSnapshot.suspendWhileFrozen must be "nests" or "waits-for-thaw" (what dm's suspend of a fs frozen through ${f.iface} does)`);
      for (const k of ['thawDuringSuspend', 'freezeDuringSuspend'] as const) {
        if (typeof dm[k] !== 'string') throw bad(`${fs}: dmSnapshot.${k} must be "0", an errno name or "waits-for-resume"`);
      }
    }
  }
  // the rules above say why in the judge's terms; the schema catches the rest (a misspelt field, an errno that is not one)
  const complaint = manifestSchemaError(m);
  if (complaint) throw bad(complaint);
}

/**
 * A revision's manifest from its own and those it extends (own first): each
 * merged onto the one it extends, a base's "breaks" not inherited, then
 * validated. Pure; errors name the file.
 */
export function resolveManifest(chain: readonly { file: string; own: Manifest }[]): Manifest {
  const [top, ...rest] = chain;
  if (!top) throw new Error('resolveManifest: no manifest');
  let m = top.own;
  if (rest.length) m = mergeManifest({ ...resolveManifest(rest), breaks: undefined, insertAfter: undefined }, top.own);
  validateManifest(m, top.file);
  return m;
}
