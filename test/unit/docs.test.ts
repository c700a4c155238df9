/**
 * The README and the manual in docs/: every relative link resolves (a file,
 * and a heading's anchor where one is named), every page of docs/ is linked
 * from the README, and the scenario reference names exactly the catalogue's
 * scenarios.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { repoPath } from '../../src/paths.ts';
import { SCENARIOS } from '../../src/scenarios/catalogue.ts';

const pages = ['README.md', ...readdirSync(repoPath('docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const text = (page: string) => readFileSync(repoPath(page), 'utf8');

/** GitHub's anchor of a heading: lower case, punctuation but - and _ dropped, spaces to -. Pure. */
export const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

/** The relative links of a markdown page, outside code blocks. Pure. */
export function relativeLinks(md: string): string[] {
  const prose = md.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/i.test(l));
}

/** The scenario ids the reference in docs/scenarios.md has a heading for. Pure. */
export const documentedScenarios = (md: string) => [...md.matchAll(/^### `([a-z0-9-]+)`$/gm)].map((m) => m[1]!);

describe('the manual', () => {
  it.each(pages)('%s: every relative link resolves', (page) => {
    const broken: string[] = [];
    for (const link of relativeLinks(text(page))) {
      const [file, anchor] = link.split('#');
      const target = file ? resolve(dirname(repoPath(page)), file) : repoPath(page);
      if (!existsSync(target)) broken.push(link);
      else if (anchor && target.endsWith('.md')) {
        const anchors = [...readFileSync(target, 'utf8').matchAll(/^#+ (.+)$/gm)].map((m) => anchorOf(m[1]!));
        if (!anchors.includes(anchor)) broken.push(link);
      }
    }
    expect(broken).toEqual([]);
  });

  it('links every page of docs/ from the README, and the README is a front door', () => {
    const readme = text('README.md');
    for (const page of pages.filter((p) => p.startsWith('docs/'))) expect(readme).toContain(`](${page})`);
    expect(readme.split('\n').length).toBeLessThanOrEqual(200);
  });

  it("the scenario reference names the catalogue's scenarios, each once, and no other", () => {
    const documented = documentedScenarios(text('docs/scenarios.md'));
    expect([...documented].sort()).toEqual([...SCENARIOS].sort());
    expect(new Set(documented).size).toBe(documented.length);
  });

  it('finds a scenario missing from the reference, and one the catalogue does not have', () => {
    const md = text('docs/scenarios.md').replace('### `compat32`', '### `compat33`');
    const documented = documentedScenarios(md);
    expect(SCENARIOS.filter((s) => !documented.includes(s))).toEqual(['compat32']);
    expect(documented.filter((s) => !(SCENARIOS as readonly string[]).includes(s))).toEqual(['compat33']);
    expect(relativeLinks('[a](docs/x.md) `[b](y)` ```\n[c](z)\n``` [d](https://e)')).toEqual(['docs/x.md']);
    expect(anchorOf('Design notes')).toBe('design-notes');
  });
});
