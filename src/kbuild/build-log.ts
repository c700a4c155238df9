/**
 * Parses kbuild output (gcc 12, make 4.3): compiled units, warnings and errors
 * with file and line. Pure, line by line, so it runs on a live build and on a
 * stored log alike.
 */
export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  kind: 'warning' | 'error';
  message: string;
  /** -Wsomething, when gcc names it */
  flag?: string;
  /**
   * The C (or assembler) file whose compile reported it, relative to the
   * tree: the file itself, or for a header the unit gcc's "In file included
   * from" chain (or "x.c: In function") names. Absent for ld's warnings.
   */
  unit?: string;
}

/**
 * The warnings of the objects in a build dir. Unlike build.json, which only
 * a whole build writes, it is kept up to date by every make, failed or
 * killed: an incremental build after a failed one must still know what the
 * objects it does not recompile warned of.
 */
export interface WarningLedger {
  /** the tree instance the objects were compiled from */
  instance: string;
  /** false while make runs, and for objects whose warnings were never all seen */
  complete: boolean;
  warnings: Diagnostic[];
}

export interface BuildLogSummary {
  /** CC lines: C files compiled. */
  compiled: number;
  /** the C files those CC lines compiled, relative to the tree */
  units: string[];
  /** All kbuild step lines (CC, AS, LD, HOSTCC, GEN, ...). */
  steps: number;
  /** what those steps made (objects, links), relative to the build dir */
  targets: string[];
  warnings: Diagnostic[];
  errors: Diagnostic[];
  /** make's "*** ... Error N" lines and linker errors, in order. */
  failures: string[];
  /**
   * The unit gcc's context lines last named, for the header diagnostics
   * after them. Under make -j two compiles can interleave their lines, so a
   * header warning without a chain of its own may be put on the wrong unit.
   */
  context?: string;
}

export function emptySummary(): BuildLogSummary {
  return { compiled: 0, units: [], steps: 0, targets: [], warnings: [], errors: [], failures: [] };
}

/**
 * gcc's context before a diagnostic: the last line of an include chain
 * (the chain runs from the innermost file out, so the line that ends in ':'
 * names the unit), or the function it is in.
 */
const CHAIN_END = /^(?:In file included from|\s+from) (.+?):\d+(?::\d+)?:$/;
const CHAIN_LINK = /^(?:In file included from|\s+from) .+?:\d+(?::\d+)?,$/;
const IN_FUNCTION = /^(.+?): (?:In function|In member function|At top level)/;
/** A unit this build compiled (a .c can include another .c: asm-offsets.c includes asm-offsets_64.c). */
const compiledUnit = (s: BuildLogSummary, f: string) => s.units.includes(f);

const DIAG = /^(.+?):(\d+):(\d+): (warning|error|fatal error): (.*?)(?: \[(-W[^\]]+)\])?$/;
const STEP = /^ {2}([A-Z][A-Z0-9_]*(?: \[M\])?) +(\S.*)$/;
/**
 * The assembler's errors (gas): a line but no column, "Error:" capitalised.
 * Its warnings ("no instruction mnemonic suffix", hundreds per build from
 * 2.6.27's bitops.h) are not counted: they would drown the compiler's.
 */
const AS_ERROR = /^(.+?):(\d+): Error: (.*)$/;
/** ld's own warnings: no line or column; the object (or ld) stands as the file. */
const LD_WARNING = /^(?:\/usr\/bin\/)?ld: (?:(.+?): )?warning: (.*)$/;

/** Paths relative to the kernel tree, so logs from different trees compare. */
export function relativeTo(path: string, srcDir?: string): string {
  if (!srcDir) return path;
  const dir = srcDir.replace(/\/+$/, '');
  if (path.startsWith(dir + '/')) return path.slice(dir.length + 1);
  // gcc under O= prints sources relative to the build dir, which sits beside
  // the tree (../linux/fs/x.c); builds before that layout printed
  // ../../trees/<key>/linux/fs/x.c
  const beside = `../${dir.split('/').pop()}/`;
  if (path.startsWith(beside)) return path.slice(beside.length);
  const marker = `/${dir.split('/').slice(-2).join('/')}/`;
  const at = path.indexOf(marker);
  if (path.startsWith('../') && at >= 0) return path.slice(at + marker.length);
  return path;
}

export function parseBuildLine(s: BuildLogSummary, line: string, srcDir?: string): 'compiled' | 'step' | 'warning' | 'error' | 'failure' | undefined {
  let m = STEP.exec(line);
  if (m) {
    s.steps++;
    s.targets.push(m[2]!);
    if (m[1] === 'CC') {
      s.compiled++;
      s.units.push(m[2]!.replace(/\.[os]$/, '.c'));
      return 'compiled';
    }
    // an assembler unit (its preprocessor can warn), and a linker script made from a .S
    if (m[1] === 'AS' || m[1] === 'LDS') s.units.push(m[2]!.replace(/\.(o|lds)$/, '.S'));
    return 'step';
  }
  if (CHAIN_LINK.test(line)) return undefined;
  m = CHAIN_END.exec(line) ?? IN_FUNCTION.exec(line);
  if (m) {
    const file = relativeTo(m[1]!, srcDir);
    if (compiledUnit(s, file)) s.context = file;
    return undefined;
  }
  m = DIAG.exec(line);
  if (m) {
    const file = relativeTo(m[1]!, srcDir);
    const unit = compiledUnit(s, file) ? file : s.context;
    const d: Diagnostic = {
      file,
      line: Number(m[2]),
      column: Number(m[3]),
      kind: m[4] === 'warning' ? 'warning' : 'error',
      message: m[5]!,
      ...(m[6] ? { flag: m[6] } : {}),
      ...(unit ? { unit } : {}),
    };
    (d.kind === 'warning' ? s.warnings : s.errors).push(d);
    return d.kind;
  }
  m = AS_ERROR.exec(line);
  if (m) {
    s.errors.push({ file: relativeTo(m[1]!, srcDir), line: Number(m[2]), column: 0, kind: 'error', message: m[3]! });
    return 'error';
  }
  m = LD_WARNING.exec(line);
  if (m) {
    s.warnings.push({ file: relativeTo(m[1] ?? 'ld', srcDir), line: 0, column: 0, kind: 'warning', message: m[2]! });
    return 'warning';
  }
  if (/^make(\[\d+\])?: \*\*\* /.test(line) || /undefined reference to|ld: .*(error|cannot find)/.test(line)) {
    s.failures.push(line.trim());
    return 'failure';
  }
  return undefined;
}

export function parseBuildLog(text: string, srcDir?: string): BuildLogSummary {
  const s = emptySummary();
  for (const line of text.split('\n')) parseBuildLine(s, line, srcDir);
  return s;
}

/** Warnings in `now` that `base` does not have, matched by file, message and flag (line numbers move). */
export function newWarnings(base: Diagnostic[], now: Diagnostic[]): Diagnostic[] {
  // ld names places by address ("(*ABS*+0xffffffff80453900)", "(.data+0x2380)"): any code change moves them
  const place = (t: string) => t.replace(/\+0x[0-9a-f]+/g, '+0x…');
  const key = (d: Diagnostic) => `${place(d.file)}\0${place(d.message)}\0${d.flag ?? ''}`;
  const counts = new Map<string, number>();
  for (const d of base) counts.set(key(d), (counts.get(key(d)) ?? 0) + 1);
  return now.filter((d) => {
    const k = key(d);
    const c = counts.get(k) ?? 0;
    if (c > 0) {
      counts.set(k, c - 1);
      return false;
    }
    return true;
  });
}

const diagKey = (d: Diagnostic) => `${d.file}:${d.line}:${d.column}:${d.message}`;

/** One of each diagnostic: a header's warning is printed once per unit that includes it. Pure. */
export function uniqueDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => !seen.has(diagKey(d)) && (seen.add(diagKey(d)), true));
}

/** ld's warnings have no line; they are about an object, named as their file or at the start of the message. */
const isLinkerWarning = (d: Diagnostic) => d.line === 0 && d.column === 0;
const linkedObject = (d: Diagnostic) => (d.file !== 'ld' ? d.file.replace(/:.*$/, '') : (/^(\S+?)(?::| has a )/.exec(d.message)?.[1] ?? 'ld'));

/**
 * The warnings of the whole tree after an incremental build: this build's
 * for every unit it compiled, the previous build's for the units it did not
 * (they were not recompiled, so their warnings still stand), a header's
 * warning as long as one unit that reported it stands. (A warning of an
 * older ledger, with no unit, stands until its file is reported on again.)
 * An ld warning about an object this build did not make again still
 * stands: ld reports only the links it redoes. Kept per unit; the tree's
 * list is uniqueDiagnostics of it. Pure.
 */
export function mergeWarnings(previous: Diagnostic[] | undefined, now: Diagnostic[], units: string[], targets: string[] = []): Diagnostic[] {
  if (!previous) return perUnit(now);
  const recompiled = new Set([...units, ...now.flatMap((d) => (d.unit ? [d.unit] : []))]);
  const touched = new Set([...units, ...now.filter((d) => !isLinkerWarning(d)).map((d) => d.file)]);
  const remade = new Set([...targets, ...now.filter(isLinkerWarning).map(linkedObject)]);
  // a warning whose unit is known stands until that unit is compiled again; one from an older ledger, until its file is reported on again
  const stands = (d: Diagnostic) => (isLinkerWarning(d) ? !remade.has(linkedObject(d)) : d.unit ? !recompiled.has(d.unit) : !touched.has(d.file));
  return perUnit([...previous.filter(stands), ...now]);
}

/** One of each diagnostic per unit that reported it: a header's warning stands while any unit that reports it is not recompiled. Pure. */
function perUnit(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const key = (d: Diagnostic) => `${d.unit ?? ''}\0${diagKey(d)}`;
  return ds.filter((d) => !seen.has(key(d)) && (seen.add(key(d)), true));
}
