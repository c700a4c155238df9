/**
 * report.html in a real browser: Debian's headless chromium draws it (a
 * screenshot) and reports what the page printed to its console.
 */
import { execa } from 'execa';
import { pathToFileURL } from 'node:url';
import { infraError } from '../errors.ts';

export const CHROMIUM = process.env.FREEZE_RIG_CHROMIUM ?? 'chromium';

/** argv for one headless pass over a page: a screenshot, or the DOM after load. Pure. */
export function chromiumArgs(page: string, what: { screenshot: string } | { dumpDom: true }, size = { width: 1280, height: 3000 }): string[] {
  return [
    '--headless',
    // root in a container has no user namespace for the sandbox; the page is our own file
    '--no-sandbox',
    '--disable-gpu',
    '--hide-scrollbars',
    '--no-first-run',
    '--enable-logging=stderr',
    '--v=0',
    `--window-size=${size.width},${size.height}`,
    ...('screenshot' in what ? [`--screenshot=${what.screenshot}`] : ['--dump-dom']),
    pathToFileURL(page).href,
  ];
}

/** What the page printed to the browser console ("INFO:CONSOLE" lines on stderr). Pure. */
export const consoleMessages = (stderr: string) => stderr.split('\n').filter((l) => /:CONSOLE[:(]/.test(l));

export interface Rendered {
  dom: string;
  console: string[];
}

export async function renderPage(page: string, screenshot?: string): Promise<Rendered> {
  const run = async (args: string[]) => {
    const r = await execa(CHROMIUM, args, { reject: false, timeout: 60_000 });
    if (r.exitCode !== 0) throw infraError(`${CHROMIUM} could not render ${page}`, { details: (r.stderr ?? '').split('\n').slice(-8), hint: 'install chromium (rig/setup/install-deps.sh), or set FREEZE_RIG_CHROMIUM' });
    return r;
  };
  const dom = await run(chromiumArgs(page, { dumpDom: true }));
  const messages = consoleMessages(dom.stderr);
  if (screenshot) messages.push(...consoleMessages((await run(chromiumArgs(page, { screenshot }))).stderr));
  return { dom: dom.stdout, console: messages };
}
