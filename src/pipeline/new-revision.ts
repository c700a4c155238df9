/**
 * `series new NAME --from REV`: a new revision to edit, made from an existing
 * one: its series file and its own patches copied, its manifest with the new
 * name and a pointer to the schema whose descriptions explain every field.
 * Written aside and checked as `run` would check it, then moved into place
 * whole: a refused or failed one leaves nothing behind.
 */
import { copyFile, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { inputError } from '../errors.ts';
import { repoPath } from '../paths.ts';
import { loadRevision, manifestOf, revisionDir, SERIES_ROOT } from './revision.ts';

/** A revision's name: a directory name people type, that names no path. Pure. */
export function checkRevisionName(name: string): void {
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(name) || name.includes('..'))
    throw inputError(`series new ${name}: not a revision name`, { hint: 'letters, digits, dot, dash and underscore, e.g. generic-v4 or my-rev' });
}

/** The new revision's manifest from the one it is made from. Pure. */
export function newManifest(from: Record<string, unknown>, name: string, fromName: string, schemaPath: string): Record<string, unknown> {
  const { $schema: _s, revision: _r, summary, breaks: _b, ...rest } = from;
  return {
    $schema: schemaPath,
    revision: name,
    summary: `${name}: made from ${fromName} by freeze-rig series new; say here what this revision changes. ${fromName} was: ${String(summary ?? '')}`,
    ...rest,
  };
}

export async function newRevision(name: string, from: string, root = SERIES_ROOT): Promise<{ dir: string; patches: number }> {
  checkRevisionName(name);
  const dir = join(root, name);
  if (await stat(dir).catch(() => undefined)) throw inputError(`series new ${name}: ${dir} exists already`, { hint: 'pick another name, or remove that directory yourself if you mean to start it again' });
  const source = await loadRevision(from);
  manifestOf(source);
  const src = revisionDir(from).dir;
  const own = JSON.parse(await readFile(join(src, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  const tmp = join(root, `.${name}.new-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    // the series file and the patches it lists (a fixture's "extends" stays: its base's patches are not copied)
    const files = (await readdir(src)).filter((f) => f === 'series' || f.endsWith('.patch') || f.endsWith('.diff'));
    for (const f of files) await copyFile(join(src, f), join(tmp, f));
    const schema = relative(dir, repoPath('src', 'scenarios', 'manifest.schema.json'));
    await writeFile(join(tmp, 'manifest.json'), JSON.stringify(newManifest(own, name, basename(src), schema), null, 2) + '\n');
    // checked as a run checks it, at its final path's name
    const made = await loadRevision(tmp).catch((e: Error) => {
      throw inputError(`series new ${name}: the new revision does not check: ${e.message}`);
    });
    manifestOf(made);
    await rename(tmp, dir);
    return { dir, patches: files.filter((f) => f !== 'series').length };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
