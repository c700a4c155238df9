import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Transform } from 'node:stream';
import nodeFetch from 'node-fetch';
import { infraError } from '../errors.ts';
import { progress, mib } from '../util/progress.ts';

export interface DownloadOptions {
  url: string;
  dest: string;
  attempts?: number;
  /** Abort an attempt when no byte arrives for this long. */
  stallMs?: number;
  fetchImpl?: typeof nodeFetch;
  backoffMs?: number;
}

class HttpStatusError extends Error {
  constructor(readonly status: number, readonly url: string) {
    super(`HTTP ${status} from ${url}`);
  }
}

/** 4xx answers will not change on a retry; network errors and 5xx may. */
export const retryable = (e: unknown) => !(e instanceof HttpStatusError && e.status >= 400 && e.status < 500);

/**
 * Streams url to dest (via dest.part, renamed when whole), with progress and
 * retries. node-fetch, as the project asked.
 */
export async function download(o: DownloadOptions): Promise<void> {
  const attempts = o.attempts ?? 3;
  const doFetch = o.fetchImpl ?? nodeFetch;
  const part = `${o.dest}.part`;
  await mkdir(dirname(o.dest), { recursive: true });
  let lastError: unknown;
  for (let i = 1; i <= attempts; i++) {
    const ctl = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => ctl.abort(), o.stallMs ?? 60_000);
    };
    try {
      arm();
      const res = await doFetch(o.url, { signal: ctl.signal as never });
      if (!res.ok || !res.body) throw new HttpStatusError(res.status, o.url);
      const total = Number(res.headers.get('content-length')) || 0;
      const p = progress(`downloading ${o.url}`);
      let got = 0;
      const count = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          got += chunk.length;
          arm();
          p.update(total ? `${mib(got)} of ${mib(total)} (${Math.floor((100 * got) / total)}%)` : mib(got));
          cb(null, chunk);
        },
      });
      await pipeline(res.body, count, createWriteStream(part));
      clearTimeout(timer);
      p.done(`${mib(got)} received`);
      await rename(part, o.dest);
      return;
    } catch (e) {
      clearTimeout(timer);
      await rm(part, { force: true });
      lastError = e;
      if (!retryable(e) || i === attempts) break;
      await sleep((o.backoffMs ?? 1000) * 2 ** (i - 1));
    }
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw infraError(`could not download ${o.url} (${attempts} attempts): ${reason}`, { cause: lastError });
}
