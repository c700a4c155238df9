import { posix } from 'node:path';

/**
 * A path from an archive or a patch, as a clean relative path inside its
 * tree, or undefined when it would escape the tree (absolute, '..', empty).
 * Pure: no filesystem access.
 */
export function safeRelativePath(raw: string): string | undefined {
  if (raw.includes('\0')) return undefined;
  if (raw.startsWith('/')) return undefined;
  const norm = posix.normalize(raw).replace(/\/+$/, '');
  if (norm === '.' || norm === '' ) return undefined;
  if (norm === '..' || norm.startsWith('../')) return undefined;
  return norm;
}

/** Whether a symlink at `linkPath` pointing to `target` stays inside the tree. */
export function symlinkStaysInside(linkPath: string, target: string): boolean {
  if (target.startsWith('/')) return false;
  const resolved = posix.normalize(posix.join(posix.dirname(linkPath), target));
  return resolved !== '..' && !resolved.startsWith('../');
}
