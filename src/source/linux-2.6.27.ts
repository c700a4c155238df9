/** The one kernel this rig is for, and how to recognise it. */
export const LINUX_2_6_27 = {
  version: '2.6.27',
  /** git tree id of v2.6.27 (commit 3fa8749e584b55f1180411ab1b51117190bac1e5). */
  treeId: 'a3fc1f3d3ed06cae9b83850bcd9aadb957849f20',
  commit: '3fa8749e584b55f1180411ab1b51117190bac1e5',
  files: 24_353,
  defaultUrl: 'https://cdn.kernel.org/pub/linux/kernel/v2.6/linux-2.6.27.tar.gz',
  urlEnv: 'FREEZE_RIG_SOURCE_URL',
} as const;

/** "2.6.27-rc9" from a top-level Makefile, or undefined. */
export function versionFromMakefile(text: string): string | undefined {
  const get = (k: string) => new RegExp(`^${k}\\s*=[ \\t]*(\\S*)`, 'm').exec(text)?.[1];
  const v = get('VERSION');
  const p = get('PATCHLEVEL');
  const s = get('SUBLEVEL');
  if (v === undefined || p === undefined || s === undefined) return undefined;
  return `${v}.${p}.${s}${get('EXTRAVERSION') ?? ''}`;
}
