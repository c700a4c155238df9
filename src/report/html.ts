/**
 * report.html: one self-contained page (no script, no fetch, opens offline)
 * for a reviewer. It answers first: the verdict, the revision x filesystem
 * counts and the scenario matrix, on the first screen, each failing cell a
 * link to its evidence (console, reproducer, replay); then what changed, the
 * freeze figures, the timelines, the builds and every failure in full. Pure.
 */
import { cacheLine } from '../kbuild/ccache.ts';
import { FILESYSTEMS } from '../guest/disk-images.ts';
import { escapeMarkup } from './escape.ts';
import { SCENARIOS } from '../scenarios/catalogue.ts';
import { standingOf } from '../scenarios/judge.ts';
import { isRigLayer } from '../tree/series.ts';
import type { Step, Transition } from './report-types.ts';
import { counts, countsLine } from './report-model.ts';
import type { Report, ReportResult } from './report-types.ts';
import { TIMELINE_SCENARIOS, timelineSvg } from './timeline-svg.ts';
import { claimed } from './patch-matrix.ts';
import { verdictLine, verdictMatrix } from './verdict.ts';

const esc = escapeMarkup;
const MARK = { pass: '✓', fail: '✗', error: '!', skip: '–' } as const;
const signed = (n: number) => `${n > 0 ? '+' : ''}${n}`;

const CSS = `
body{font:14px/1.4 "DejaVu Sans",system-ui,sans-serif;margin:24px;color:#1d232a;max-width:1200px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.meta{color:#57606a}.incomplete{background:#fff3cd;border:1px solid #e0b300;padding:8px;margin:8px 0}
table{border-collapse:collapse;margin:4px 0}td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.matrix td.st{text-align:center;font-weight:bold;width:34px}
.pass{background:#2da44e;color:#fff}.fail{background:#cf222e;color:#fff}.error{background:#8250df;color:#fff}.known{background:#f2cc60;color:#24292f}.skip{background:#eaeef2;color:#57606a}
.worse{color:#cf222e}.better{color:#1a7f37}.gained{color:#0969da}.lost{color:#9a6700}
ul.changes{margin:4px 0 12px;padding-left:20px}pre{background:#f6f8fa;padding:8px;overflow-x:auto;font-size:12px;max-height:360px}
svg.timeline{display:block;margin:8px 0;background:#fff;border:1px solid #d0d7de}
svg .frozen{fill:#ddf4ff}svg .deadline{stroke:#cf222e;stroke-dasharray:4 3}svg .lane{stroke:#eaeef2;font-size:11px;fill:#1d232a}
svg text.lane{stroke:none}svg .mark{fill:#0969da}svg .errno{fill:#fff;stroke:#cf222e;stroke-width:2}
svg .op{fill:#54aeff}svg .blocked{fill:#d4a72c}svg .tick{font-size:10px;fill:#57606a}svg .title{font-size:12px;font-weight:bold;fill:#1d232a}
.legend span{display:inline-block;padding:0 6px;margin-right:6px}
.verdict{font-size:18px;font-weight:bold;padding:6px 10px;margin:6px 0;border-radius:4px}.verdict.PASS{background:#dafbe1;color:#1a7f37}.verdict.FAIL{background:#ffebe9;color:#cf222e}.verdict.ERROR{background:#fbefff;color:#8250df}
.top{display:flex;gap:24px;align-items:flex-start}.top h2{margin-top:4px}
table.matrix td,table.matrix th{padding:0 6px;font-size:12px;line-height:17px}.matrix td.st{width:26px}.matrix a{color:inherit;text-decoration:none;display:block}
table.summary td{font-size:13px}.summary a{color:inherit}.n{display:inline-block;padding:0 5px;margin:1px 2px;border-radius:3px}`;

function transitions(kind: 'worse' | 'better' | 'gained' | 'lost', list: Transition[]): string {
  if (!list.length) return '';
  const label = { worse: 'Worse', better: 'Better', gained: 'Newly passing (was skipped)', lost: 'No longer claimed (now skipped)' }[kind];
  return `<p class="${kind}"><b>${label}: ${list.length}</b></p><ul class="changes">${list
    .map((t) => `<li class="${kind}"><b>${esc(t.fs)} ${esc(t.scenario)}</b>: ${t.from} → ${t.to}. ${esc(t.observed.split('\n')[0]!.slice(0, 300))}${t.figures?.length ? `<br><span class="meta">${esc(t.figures.join('; '))}</span>` : ''}</li>`)
    .join('')}</ul>`;
}

function stepHtml(s: Step): string {
  const b = s.build;
  const build = `warnings ${b.warningsFrom} → ${b.warningsTo}${b.newWarnings !== null ? ` (${b.newWarnings} new)` : ''}${b.textDelta !== undefined ? `; vmlinux text ${signed(b.textDelta)} B, data ${signed(b.dataDelta ?? 0)} B` : ''}`;
  const nothing = !s.worse.length && !s.better.length && !s.gained.length && !s.lost.length ? '<p>No scenario changed status.</p>' : '';
  return `<h3>${esc(s.from)} → ${esc(s.to)}</h3><p class="meta">${esc(build)}</p>${transitions('worse', s.worse)}${transitions('better', s.better)}${transitions('gained', s.gained)}${transitions('lost', s.lost)}${nothing}`;
}

/** The results listed under Failures, in full: what a failing cell links to. */
const inFailures = (x: ReportResult) => x.status === 'fail' || x.status === 'error' || standingOf(x) === 'known-passed';
const anchor = (x: Pick<ReportResult, 'revision' | 'fs' | 'scenario'>) => `r-${x.revision}-${x.fs}-${x.scenario}`.replace(/[^A-Za-z0-9_-]/g, '_');

/** Revisions x filesystems, each cell its counts, linking to the first result to open. */
function summary(r: Report): string {
  const n = (k: number, cls: string, label: string) => (k ? `<span class="n ${cls}">${k} ${label}</span>` : '');
  const rows = verdictMatrix(r)
    .map((row) => `<tr><th>${esc(row[0]!.revision)}</th>${row.map((c) => {
      const body = n(c.pass, 'pass', 'pass') + n(c.known, 'known', 'known') + n(c.fail, 'fail', 'fail') + n(c.error, 'error', 'error') + n(c.skip, 'skip', 'skip');
      return `<td>${c.first ? `<a href="#${anchor(c.first)}" title="${esc(`${c.first.scenario}: ${c.first.observed}`.slice(0, 300))}">${body}</a>` : body || '–'}</td>`;
    }).join('')}</tr>`)
    .join('');
  return `<table class="summary"><tr><th>revision</th>${FILESYSTEMS.map((f) => `<th>${f}</th>`).join('')}</tr>${rows}</table>`;
}

function matrix(r: Report): string {
  const revs = r.revisions.map((x) => x.revision);
  const scenarios = SCENARIOS.filter((s) => r.results.some((x) => x.scenario === s));
  const cell = (rev: string, fs: string, s: string) => {
    const x = r.results.find((y) => y.revision === rev && y.fs === fs && y.scenario === s);
    if (!x) return '<td class="st"></td>';
    const tip = x.status === 'skip' ? x.expected : x.observed;
    // a known issue's failure: marked apart from a regression, its evidence below
    const mark = (m: string) => (inFailures(x) ? `<a href="#${anchor(x)}">${m}</a>` : m);
    if (standingOf(x) === 'known-failed') return `<td class="st known" title="${esc(`known issue (manifest): ${tip}`.slice(0, 600))}">${mark('✗')}</td>`;
    return `<td class="st ${x.status}" title="${esc(tip.slice(0, 600))}">${mark(MARK[x.status])}</td>`;
  };
  return `<table class="matrix"><tr><th rowspan="2">scenario</th>${revs.map((v) => `<th colspan="2">${esc(v)}</th>`).join('')}</tr><tr>${revs.map(() => FILESYSTEMS.map((f) => `<th>${f}</th>`).join('')).join('')}</tr>${scenarios
    .map((s) => `<tr><td>${esc(s)}</td>${revs.map((v) => FILESYSTEMS.map((f) => cell(v, f, s)).join('')).join('')}</tr>`)
    .join('')}</table><p class="legend"><span class="pass">✓ pass</span><span class="fail">✗ fail</span><span class="known">✗ known issue (failed as its manifest says)</span><span class="error">! error</span><span class="skip">– skip (not claimed by the revision)</span></p>`;
}

/** run --per-patch: per revision and filesystem, scenario x patch, and the patch from which each has its final result. */
function perPatch(r: Report): string {
  const out = r.revisions.flatMap((v) => {
    const m = v.perPatch;
    if (!m) return [];
    const n = m.patches.length;
    const head = `<tr><th>scenario</th>${m.patches.map((p, i) => `<th title="${esc(`${p.layer}/${p.name}`)}">${i + 1}/${n}</th>`).join('')}<th>final result from</th></tr>`;
    return FILESYSTEMS.filter((fs) => m.rows.some((x) => x.fs === fs)).map((fs) => {
      const rows = m.rows.filter((x) => x.fs === fs && claimed(x));
      const body = rows
        .map((x) => {
          const cells = x.cells.map((c) => `<td class="st ${c.known ? 'known' : c.status}" title="${esc(c.observed ?? c.status)}">${MARK[c.status]}</td>`).join('');
          const at = x.reachesAt === null ? 'never meets the manifest' : `${x.reachesAt}/${n} ${esc(m.patches[x.reachesAt - 1]!.name)}`;
          const broken = x.breaksAt.length ? `<br><b>broken by ${x.breaksAt.map((k) => `${k}/${n} ${esc(m.patches[k - 1]!.name)}`).join(', ')}</b>` : '';
          return `<tr><td>${esc(x.scenario)}</td>${cells}<td>${at}${broken}</td></tr>`;
        })
        .join('');
      return `<h3>${esc(v.revision)} on ${fs}</h3><table class="matrix">${head}${body}</table>`;
    });
  });
  return out.length ? `<h2>Per patch</h2><p class="meta">Each patch prefix booted and judged by the revision's manifest; the last column is the revision itself. Guests in ${esc(r.revisions.flatMap((v) => v.perPatch?.patches.slice(0, -1).map((p) => p.dir) ?? []).join(', '))}.</p>${out.join('')}` : '';
}

function figures(r: Report): string {
  const f = (v: number | undefined) => (v === undefined ? '' : v.toFixed(1));
  return `<table><tr><th>revision</th><th>fs</th><th>freeze latency (ms)</th><th>thaw latency (ms)</th><th>writer wake-up after thaw (ms)</th><th>timeout error (ms)</th><th>freeze with dirty data (ms)</th><th>dirty at freeze (MiB)</th><th>frozen for the snapshot (ms)</th><th>device writes while frozen</th></tr>${r.figures
    .map((x) => `<tr><td>${esc(x.revision)}</td><td>${x.fs}</td>${[x.freezeLatencyMs, x.thawLatencyMs, x.writerWakeLatencyMs, x.timeoutErrorMs, x.freezeLatencyDirtyMs, x.dirtyAtFreezeMiB, x.frozenForSnapshotMs].map((v) => `<td class="num">${f(v)}</td>`).join('')}<td class="num">${x.deviceWritesWhileFrozen ?? ''}</td></tr>`)
    .join('')}</table>`;
}

function builds(r: Report): string {
  return r.revisions
    .map((v) => {
      const b = v.build;
      const nw = b.newWarnings === null ? `unknown (${esc(b.newWarningsWhy ?? '')})` : String(b.newWarnings.length);
      const size = b.sizes ? `${b.sizes.text} / ${b.sizes.data} / ${b.sizes.bss}` : '?';
      const delta = b.sizeDelta ? `${signed(b.sizeDelta.text)} / ${signed(b.sizeDelta.data)} / ${signed(b.sizeDelta.bss)}` : '';
      const patches = v.patches.filter((p) => !isRigLayer(p.layer));
      return `<h3>${esc(v.revision)}</h3><p class="meta">${esc(v.summary)}</p><table><tr><th>build</th><th>warnings</th><th>new warnings</th><th>vmlinux text / data / bss (B)</th><th>against baseline</th><th>boots</th></tr><tr><td class="num">${b.durationSeconds.toFixed(1)} s, ${b.cache ? cacheLine(b.cache) : `${b.compiled} compiled`}</td><td class="num">${b.warnings}</td><td class="num">${nw}</td><td class="num">${size}</td><td class="num">${delta}</td><td>${v.boots
        .map((x) => `<span title="${esc(x.scenarios.join(' '))}">${esc(x.name)}</span>: ${x.end} after ${x.seconds.toFixed(1)} s (${esc(x.accel)}${(x.cpus ?? 1) > 1 ? `, SMP on ${x.cpus} vCPUs` : ''}), <a href="${esc(x.console)}">console</a>`)
        .join('<br>')}</td></tr></table>${b.newWarnings?.length ? `<pre>${esc(b.newWarnings.map((w) => `${w.file}:${w.line}: ${w.message}`).join('\n'))}</pre>` : ''}${
        patches.length
          ? `<table><tr><th>patch</th><th>checkpatch</th><th>applied</th>${patches.some((p) => p.build) ? '<th>builds alone</th>' : ''}</tr>${patches
              .map(
                (p) =>
                  `<tr><td>${esc(p.name)}</td><td>${'failed' in p.checkpatch ? esc(p.checkpatch.failed) : `${p.checkpatch.errors} errors, ${p.checkpatch.warnings} warnings`}</td><td>${p.fuzz ? `fuzz in ${p.fuzz} hunks` : p.offsets ? `${p.offsets} hunks at an offset` : 'clean'}</td>${p.build ? `<td>${p.build.ok ? `yes, ${p.build.seconds.toFixed(1)} s` : 'NO'}</td>` : ''}</tr>`,
              )
              .join('')}</table>`
          : ''
      }`;
    })
    .join('');
}

function failure(x: ReportResult): string {
  const known = x.known ? (x.status === 'fail' || x.knownIntermittent ? 'KNOWN ISSUE' : 'FIXED? (listed as a known issue, but passed: update the manifest)') : '';
  return `<details open id="${anchor(x)}"><summary class="${standingOf(x) === 'known-failed' ? 'known' : x.status}">&nbsp;${known || x.status.toUpperCase()} ${esc(x.revision)} ${x.fs} ${esc(x.scenario)}&nbsp;</summary><p>${x.known ? `<b>known issue (manifest):</b> ${esc(x.known)}<br>` : ''}<b>expected:</b> ${esc(x.expected)}<br><b>observed:</b> ${esc(x.observed)}</p>${
    x.reproducer ? `<p><b>reproduce:</b></p><pre>${esc(x.reproducer)}</pre>` : ''
  }${x.replay ? `<p><b>replay (the recorded run, exactly; --gdb to step back through it):</b></p><pre>${esc(x.replay)}</pre>` : ''}${x.console?.length ? `<pre>${esc(x.console.join('\n'))}</pre>` : ''}</details>`;
}

export function toHtml(r: Report): string {
  const c = counts(r.results);
  const v = verdictLine(r);
  const bad = r.results.filter(inFailures);
  const timelines = r.results.filter((x) => (TIMELINE_SCENARIOS as readonly string[]).includes(x.scenario) && x.status !== 'skip').map((x) => timelineSvg(x)).filter(Boolean);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>freeze-rig report: ${esc(r.revisions.map((v) => v.revision).join(', '))}</title>
<style>${CSS}</style></head><body>
<h1>freeze-rig: ${esc(r.revisions.map((v) => v.revision).join(' → '))}</h1>
<p class="verdict ${v.verdict}">${v.verdict}: ${esc(v.text)}</p>
<p class="meta">${esc(countsLine(r.results))}. Linux ${esc(r.kernel.version)} (tree ${esc(r.kernel.treeId.slice(0, 12))}), ${esc(r.createdAt)}, on ${esc(r.host.hostname)}: <code>${esc(r.command)}</code></p>
${r.complete ? '' : `<p class="incomplete"><b>Incomplete run:</b> it stopped before every revision ran${r.interrupted ? ` (${esc(r.interrupted.signal)}, while ${esc(r.interrupted.during)})` : ''}; what is here is what finished.</p>`}
<div class="top"><div><h2>Revisions × filesystems</h2>${summary(r)}<p class="meta">A cell links to its first failure, error or known issue; the matrix's marked cells link to theirs, with the console, the reproducer and the replay.</p></div>
<div><h2>Matrix</h2>${matrix(r)}</div></div>
<h2>What changed</h2>${r.comparison.steps.length ? r.comparison.steps.map(stepHtml).join('') : '<p>One revision: nothing to compare.</p>'}
${perPatch(r)}
<h2>Freeze figures</h2>${figures(r)}
<h2>Timelines</h2><p class="meta">Shaded: frozen. Dashed: the requested timeout. Bars: a freeze call, or a writer blocked. Hollow: a call that failed with an errno.</p>${timelines.join('\n') || '<p>No timeout scenario ran.</p>'}
<h2>Builds</h2>${builds(r)}
<h2>Failures</h2>${bad.length ? bad.map(failure).join('\n') : '<p>None.</p>'}
</body></html>
`;
}
