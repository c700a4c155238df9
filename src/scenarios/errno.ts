/** Linux x86_64 errno numbers the manifests name. */
export const ERRNO: Record<string, number> = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  EFAULT: 14,
  EBUSY: 16,
  EINVAL: 22,
  ENOTTY: 25,
  EROFS: 30,
  ENOSYS: 38,
  EOPNOTSUPP: 95,
  ETIMEDOUT: 110,
};

const NAME = new Map(Object.entries(ERRNO).map(([k, v]) => [v, k]));

/** "0", or the errno's name (or number) of a failed call. Pure. */
export function outcomeOf(c: { ret: number; errno: number } | undefined): string {
  if (!c) return 'missing';
  if (c.ret >= 0) return String(c.ret);
  return NAME.get(c.errno) ?? `errno ${c.errno}`;
}
