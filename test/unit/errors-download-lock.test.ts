import { describe, expect, it } from 'vitest';
import { createServer, type RequestListener, type Server } from 'node:http';
import { readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RigError, EXIT, expectationError, infraError, inputError, usageError } from '../../src/errors.ts';
import { download, retryable } from '../../src/source/download.ts';
import { withLock } from '../../src/util/lock.ts';
import { cacheRoot } from '../../src/paths.ts';
import { sourceUrl } from '../../src/source/ensure.ts';
import { useTmp } from '../helpers/tmp.ts';

describe('errors', () => {
  it('maps kinds to the exit codes a CI acts on', () => {
    expect(expectationError('x').exitCode).toBe(EXIT.expectation);
    expect(inputError('x').exitCode).toBe(EXIT.infrastructure);
    expect(infraError('x').exitCode).toBe(2);
    expect(usageError('x').exitCode).toBe(2);
  });

  it('prints message, details and what to do', () => {
    const e = new RigError('patch does not apply', { kind: 'expectation', details: ['hunk #2 of fs/ioctl.c'], hint: 'rebase it' });
    expect(e.format()).toBe('error: patch does not apply\n  hunk #2 of fs/ioctl.c\nhint: rebase it');
  });
});

describe('paths and settings', () => {
  it('puts the cache outside the repo, XDG first', () => {
    expect(cacheRoot({ FREEZE_RIG_CACHE: '/c' })).toBe('/c');
    expect(cacheRoot({ XDG_CACHE_HOME: '/x' })).toBe('/x/freeze-rig');
    expect(cacheRoot({ XDG_CACHE_HOME: 'relative' })).toMatch(/\.cache\/freeze-rig$/);
  });

  it('takes the source URL from the flag, then the environment, then kernel.org', () => {
    expect(sourceUrl('http://flag/x.tgz', { FREEZE_RIG_SOURCE_URL: 'http://env' })).toBe('http://flag/x.tgz');
    expect(sourceUrl(undefined, { FREEZE_RIG_SOURCE_URL: 'http://env' })).toBe('http://env');
    expect(sourceUrl(undefined, {})).toMatch(/^https:\/\/cdn\.kernel\.org\/.*linux-2\.6\.27\.tar\.gz$/);
  });
});

describe('download (a real HTTP server on loopback)', () => {
  const tmp = useTmp();

  async function serve(handler: RequestListener): Promise<{ url: string; server: Server }> {
    const server = createServer(handler);
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const addr = server.address() as { port: number };
    return { url: `http://127.0.0.1:${addr.port}/linux.tar.gz`, server };
  }

  it('retries a server error and keeps nothing half-written', async () => {
    let hits = 0;
    const { url, server } = await serve((_req, res) => {
      hits++;
      if (hits === 1) {
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200, { 'content-length': '5' }).end('hello');
    });
    const dest = join(await tmp(), 'f');
    try {
      await download({ url, dest, backoffMs: 1 });
    } finally {
      server.close();
    }
    expect(hits).toBe(2);
    expect(await readFile(dest, 'utf8')).toBe('hello');
    await expect(stat(`${dest}.part`)).rejects.toThrow();
  });

  it('does not retry a 404 and says what failed', async () => {
    let hits = 0;
    const { url, server } = await serve((_req, res) => {
      hits++;
      res.writeHead(404).end();
    });
    const dest = join(await tmp(), 'f');
    await expect(download({ url, dest, backoffMs: 1 }).finally(() => server.close())).rejects.toThrow(/HTTP 404/);
    expect(hits).toBe(1);
    await expect(stat(dest)).rejects.toThrow();
  });

  it('classifies retryable failures', () => {
    expect(retryable(new Error('ECONNRESET'))).toBe(true);
  });
});

describe('locks', () => {
  const tmp = useTmp();

  it('serialises two holders', async () => {
    const lock = join(await tmp(), 'x.lock');
    const order: string[] = [];
    const a = withLock(lock, async () => {
      order.push('a+');
      await new Promise((r) => setTimeout(r, 300));
      order.push('a-');
    });
    await new Promise((r) => setTimeout(r, 20));
    const b = withLock(lock, async () => {
      order.push('b+');
    });
    await Promise.all([a, b]);
    expect(order).toEqual(['a+', 'a-', 'b+']);
  });

  it('takes over a lock whose owner died', async () => {
    const lock = join(await tmp(), 'x.lock');
    await writeFile(lock, '999999999');
    expect(await withLock(lock, async () => 'got it')).toBe('got it');
  });
});
