/** KTAP read back by a TAP 14 parser from npm (tap-parser): each test point with its nesting. */
import { Parser, type Result } from 'tap-parser';

export interface Point {
  /** names from the top: revision, fs, scenario */
  path: string[];
  ok: boolean;
  skip: boolean;
  todo: boolean;
  diag: string[];
}

export function parseKtap(text: string): Promise<{ points: Point[]; ok: boolean; bailout: boolean }> {
  return new Promise((resolve) => {
    const points: Point[] = [];
    const watch = (p: Parser, path: string[]) => {
      let pendingDiag: string[] = [];
      p.on('comment', (c: string) => {
        const m = /^# (?!Subtest:)(.*)$/.exec(c.trimStart().trimEnd());
        if (m) pendingDiag.push(m[1]!);
      });
      p.on('assert', (r: Result) => {
        points.push({ path: [...path, r.name], ok: r.ok, skip: !!r.skip, todo: !!r.todo, diag: pendingDiag });
        pendingDiag = [];
      });
      p.on('child', (c: Parser) => watch(c, [...path, c.name]));
    };
    const parser = new Parser({ strict: false }, (r) => resolve({ points, ok: r.ok, bailout: !!r.bailout }));
    watch(parser, []);
    parser.end(text);
  });
}
