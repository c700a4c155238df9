/**
 * One timeout scenario as a picture: a lane per kind of check, a marker where
 * the guest made it, the frozen window shaded, the requested deadline dashed.
 * Inline SVG, no script. Pure.
 */
import { escapeMarkup } from './escape.ts';
import type { ReportResult } from './report-types.ts';

/** The scenarios whose story is about time: each gets a timeline. */
export const TIMELINE_SCENARIOS = ['timeout-fires', 'timeout-reset', 'self-deadlock-rescue', 'thaw-timeout-race'] as const;

type Check = NonNullable<ReportResult['checks']>[number];

/** Checks that end a frozen window, when they report one. */
const ENDS_FREEZE = new Set(['expired', 'rescued', 'thawed-after-last-reset', 'hammers-returned', 'thaw']);
/** Checks whose ms is how long something was blocked, ending at t. */
const isBlocked = (name: string) => name.endsWith('-blocked') || name === 'blocked-while-frozen';

const esc = escapeMarkup;

export interface Window {
  from: number;
  to: number;
}

/** Frozen windows: from each successful freeze to what ended it (or the last check). Pure. */
export function frozenWindows(checks: readonly Check[]): Window[] {
  const out: Window[] = [];
  let open: number | undefined;
  const last = Math.max(0, ...checks.map((c) => c.t ?? 0));
  for (const c of checks) {
    if (c.t === undefined) continue;
    if (c.name === 'freeze' && c.ret === 0) open ??= c.t;
    else if (open !== undefined && ENDS_FREEZE.has(c.name)) {
      // expiry and rescue report when they saw the fs thawed: the window ends there
      out.push({ from: open, to: c.t });
      open = undefined;
    }
  }
  if (open !== undefined) out.push({ from: open, to: last });
  return out;
}

const outcome = (c: Check) => (c.ret < 0 ? `errno ${c.errno}` : String(c.ret));

export function timelineSvg(r: ReportResult, width = 760): string | undefined {
  const checks = (r.checks ?? []).filter((c) => c.t !== undefined);
  if (!checks.length) return undefined;
  const lanes = [...new Set(checks.map((c) => c.name))];
  const left = 170;
  const laneH = 18;
  const top = 24;
  const height = top + lanes.length * laneH + 26;
  const end = Math.max(...checks.map((c) => c.t!)) * 1.04 + 1;
  const x = (ms: number) => left + (Math.max(0, ms) / end) * (width - left - 12);
  const y = (name: string) => top + lanes.indexOf(name) * laneH;
  const parts: string[] = [];
  for (const w of frozenWindows(checks))
    parts.push(`<rect class="frozen" x="${x(w.from).toFixed(1)}" y="${top - 6}" width="${Math.max(1, x(w.to) - x(w.from)).toFixed(1)}" height="${lanes.length * laneH + 2}"><title>frozen ${Math.round(w.to - w.from)} ms</title></rect>`);
  for (const c of checks)
    if (c.name === 'freeze' && c.ret === 0 && (c.v ?? 0) > 1)
      parts.push(`<line class="deadline" x1="${x(c.t! + c.v!).toFixed(1)}" x2="${x(c.t! + c.v!).toFixed(1)}" y1="${top - 10}" y2="${top + lanes.length * laneH}"><title>requested timeout: ${Math.round(c.v!)} ms after the freeze</title></line>`);
  lanes.forEach((name) => {
    parts.push(`<text class="lane" x="${left - 8}" y="${y(name) + 4}" text-anchor="end">${esc(name)}</text>`, `<line class="lane" x1="${left}" x2="${width - 8}" y1="${y(name)}" y2="${y(name)}"/>`);
  });
  for (const c of checks) {
    const tip = `<title>${esc(`${c.name}: ${outcome(c)} at ${Math.round(c.t!)} ms${c.ms ? ` (${Math.round(c.ms)} ms)` : ''}`)}</title>`;
    if ((c.name === 'freeze' || isBlocked(c.name)) && c.ms >= 1) {
      const x0 = x(c.t! - c.ms);
      parts.push(`<rect class="${isBlocked(c.name) ? 'blocked' : 'op'}" x="${x0.toFixed(1)}" y="${y(c.name) - 4}" width="${Math.max(2, x(c.t!) - x0).toFixed(1)}" height="8">${tip}</rect>`);
    }
    parts.push(`<circle class="${c.ret < 0 ? 'errno' : 'mark'}" cx="${x(c.t!).toFixed(1)}" cy="${y(c.name)}" r="4">${tip}</circle>`);
  }
  const axisY = top + lanes.length * laneH + 6;
  const step = end > 8000 ? 2000 : end > 3000 ? 1000 : 500;
  for (let ms = 0; ms <= end; ms += step) parts.push(`<text class="tick" x="${x(ms).toFixed(1)}" y="${axisY + 12}" text-anchor="middle">${ms / 1000} s</text>`);
  const title = `${r.revision} ${r.fs} ${r.scenario}`;
  return `<svg class="timeline" role="img" aria-label="${esc(title)}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><text class="title" x="4" y="14">${esc(title)}: ${r.status}</text>${parts.join('')}</svg>`;
}
