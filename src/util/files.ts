import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export const sha256 = (s: string | Uint8Array) => createHash('sha256').update(s).digest('hex');

export const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

export interface Artifact {
  name: string;
  path: string;
  bytes: number;
  sha256: string;
}

export async function artifact(name: string, path: string): Promise<Artifact> {
  const st = await stat(path);
  return { name, path, bytes: st.size, sha256: await sha256File(path) };
}
