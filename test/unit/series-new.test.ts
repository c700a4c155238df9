import { describe, expect, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import { useTmp } from '../helpers/tmp.ts';
import { join } from 'node:path';
import { checkRevisionName, newManifest, newRevision } from '../../src/pipeline/new-revision.ts';
import { loadRevision, manifestOf } from '../../src/pipeline/revision.ts';

describe('series new', () => {
  const tmp = useTmp();
  it('takes a plain name and refuses one that names a path', () => {
    expect(() => checkRevisionName('generic-v4')).not.toThrow();
    for (const bad of ['../x', 'a/b', '', '.hidden', 'a..b']) expect(() => checkRevisionName(bad)).toThrow(/not a revision name/);
  });

  it("renames the manifest, points it at its schema and drops a fixture's breaks", () => {
    const m = newManifest({ revision: 'bad-x', summary: 'S', extends: 'generic-v2', breaks: ['reads-proceed'], ioctls: [] }, 'mine', 'bad-x', '../../../s.json');
    expect(m).toEqual({ $schema: '../../../s.json', revision: 'mine', summary: expect.stringContaining('bad-x was: S'), extends: 'generic-v2', ioctls: [] });
  });

  it('writes a revision that loads and validates as a run would, and refuses to write over one', async () => {
    const root = await tmp();
    const made = await newRevision('my-rev', 'generic-v3', root);
    expect(made.patches).toBe(10);
    const rev = await loadRevision(made.dir);
    expect(manifestOf(rev).revision).toBe('my-rev');
    expect(rev.patches.filter((p) => p.layer === 'my-rev')).toHaveLength(10);
    expect(JSON.parse(await readFile(join(made.dir, 'manifest.json'), 'utf8')).$schema).toMatch(/src\/scenarios\/manifest\.schema\.json$/);
    await expect(newRevision('my-rev', 'generic-v2', root)).rejects.toThrow(/exists already/);
    await expect(newRevision('other', 'nosuchrev', root)).rejects.toThrow(/unknown patch revision nosuchrev/);
    // nothing half-written is left beside them
    expect(await readdir(root)).toEqual(['my-rev']);
  });
});
