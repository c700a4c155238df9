/**
 * The architecture, as rules a build can fail on (npm test runs them).
 * Imports run one way, from the top of the pipeline down:
 *   cli, commands -> pipeline -> report -> scenarios -> guest, vm -> kbuild
 *   -> config -> tree -> source -> util (util/, errors.ts, paths.ts)
 * A module may import its own layer and the layers below it, never above.
 */
const LAYERS = [
  ['cli', '^src/(cli\\.ts|commands/)'],
  ['pipeline', '^src/pipeline/'],
  ['report', '^src/report/'],
  ['scenarios', '^src/scenarios/'],
  ['guest-vm', '^src/(guest|vm)/'],
  ['kbuild', '^src/kbuild/'],
  ['config', '^src/config/'],
  ['tree', '^src/tree/'],
  ['source', '^src/source/'],
  ['util', '^src/(util/|errors\\.ts$|paths\\.ts$)'],
];

const upward = LAYERS.slice(1).map(([name, path], i) => ({
  name: `no-upward-from-${name}`,
  comment: `${name} may import only itself and the layers below it`,
  severity: 'error',
  from: { path },
  to: { path: LAYERS.slice(0, i + 1).map(([, p]) => `(${p})`).join('|') },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'a cycle means two modules are one concern, or a record lives in the wrong stage',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-stands-alone',
      comment: 'the product does not import its tests or benchmarks',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|rig)/' },
    },
    ...upward,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
