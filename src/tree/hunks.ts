/**
 * The text of hunk #n of `file` in a unified diff (file as patch names it
 * after stripping), for error messages that show which hunk failed. Pure.
 */
export function hunkText(patch: string, file: string, n: number, strip = 1): string[] {
  const lines = patch.split('\n');
  let inFile = false;
  let count = 0;
  let out: string[] | undefined;
  for (const line of lines) {
    const plus = /^\+\+\+ (\S+)/.exec(line);
    if (plus) {
      if (out) break;
      inFile = plus[1]!.split('/').slice(strip).join('/') === file;
      count = 0;
      continue;
    }
    if (!inFile) continue;
    if (line.startsWith('@@')) {
      if (out) break;
      if (++count === n) out = [line];
      continue;
    }
    if (out) {
      if (/^(diff |--- |Index: )/.test(line)) break;
      out.push(line);
    }
  }
  return out ?? [];
}
