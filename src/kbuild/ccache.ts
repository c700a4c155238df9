/**
 * ccache for kernel builds: its environment, and what it did for one build,
 * read from its stats log (ccache's per-build statistics file). Pure but
 * for the environment's paths.
 */

/**
 * One cache for every work tree: the compiler is given paths relative to its
 * working directory, the build dir, which sits beside its tree (`../linux/...`
 * is the same for every revision; see makeArgs), and base_dir rewrites any
 * absolute path under the cache the same way; depend mode (no preprocessor run per miss: a
 * cold build measured 45.8 s against 55.2 s), no compression, and no veto on
 * headers generated moments before (every fresh build dir has them; without
 * this, depend mode misses all but 27 of 748 units). The stats log is
 * this build's own account of hits and misses.
 */
export const CCACHE_ENV = (root: string, statsLog: string) => ({
  CCACHE_BASEDIR: root,
  CCACHE_NOHASHDIR: '1',
  CCACHE_DEPEND: '1',
  CCACHE_NOCOMPRESS: '1',
  CCACHE_SLOPPINESS: 'include_file_mtime,include_file_ctime',
  CCACHE_STATSLOG: statsLog,
});

/** What ccache did for the compiles of one build. */
export interface CacheUse {
  /** compiles served from the cache */
  hits: number;
  /** compiles that ran the compiler */
  misses: number;
  /** calls ccache does not cache (links, preprocessing, probes) */
  uncacheable: number;
  /** the sources that were compiled (missed), as ccache names them */
  compiled: string[];
}

/**
 * ccache's stats log: for each call, `# <input file>` and then the counters
 * it bumped (direct_cache_hit, preprocessed_cache_hit, cache_miss, or a
 * reason it could not cache: called_for_link, ...).
 */
export function parseStatsLog(text: string): CacheUse {
  const use: CacheUse = { hits: 0, misses: 0, uncacheable: 0, compiled: [] };
  let input: string | undefined;
  let counters: string[] = [];
  const flush = () => {
    // kbuild's cc-option probes compile /dev/null: not units of the kernel
    if (input === undefined || input === '/dev/null') return;
    if (counters.includes('cache_miss')) {
      use.misses++;
      use.compiled.push(input);
    } else if (counters.includes('direct_cache_hit') || counters.includes('preprocessed_cache_hit')) use.hits++;
    else use.uncacheable++;
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('# ')) {
      flush();
      input = line.slice(2);
      counters = [];
    } else if (line.trim()) counters.push(line.trim());
  }
  flush();
  return use;
}

/** "695 units: 680 from cache, 15 compiled" */
export const cacheLine = (c: Pick<CacheUse, 'hits' | 'misses'>) => `${c.hits + c.misses} units: ${c.hits} from cache, ${c.misses} compiled`;
