/**
 * Who may import whom (docs/architecture.md). The flow: edge gateways
 * (simulators) → gateway → ingest → alerts → inspections → api → console, with
 * ledger (master data) and core beneath every part; platform/ composes them;
 * scripts, bench and tests sit on top. A part imports only itself, the parts
 * beneath it and the parts before it in the flow — never one after it.
 * `npm run deps` checks it in CI (`npm test`); `tests/unit/platform/dependency-rules.test.ts`
 * shows that an import against the flow fails the check.
 */

/** The parts each part may import (besides itself and node_modules). */
const ALLOWED = {
  core: [],
  ledger: ['core'],
  gateway: ['core', 'ledger'],
  ingest: ['core', 'ledger'],
  alerts: ['core', 'ledger'],
  inspections: ['core', 'ledger', 'alerts'],
  api: ['core', 'ledger', 'gateway', 'ingest', 'alerts', 'inspections'],
  platform: ['core', 'ledger', 'gateway', 'ingest', 'alerts', 'inspections', 'api'],
  simulators: ['core', 'ledger'],
  testkit: ['core', 'ledger', 'gateway', 'ingest', 'alerts', 'inspections', 'api', 'platform', 'simulators'],
};
const PARTS = ['core', 'ledger', 'gateway', 'ingest', 'alerts', 'inspections', 'api', 'console', 'platform', 'simulators', 'testkit', 'scripts', 'bench', 'tests'];

const forbidden = Object.entries(ALLOWED).map(([part, allowed]) => ({
  name: `${part}-imports-against-the-flow`,
  comment: `${part}/ may import only ${[part, ...allowed].join(', ')} (docs/architecture.md)`,
  severity: 'error',
  from: { path: `^${part}/` },
  to: { path: `^(${PARTS.filter((p) => p !== part && !allowed.includes(p)).join('|')})/|^main\\.ts$` },
}));

module.exports = {
  forbidden: [
    ...forbidden,
    {
      name: 'console-imports-outside-the-flow',
      comment: 'the console (a browser bundle) may import only core, ledger, alerts, inspections and api (their types and pure constants)',
      severity: 'error',
      from: { path: '^console/' },
      to: { path: '^(gateway|ingest|platform|simulators|testkit|scripts|bench|tests)/|^main\\.ts$' },
    },
    {
      name: 'only-tests-import-tests',
      comment: 'tests/ is imported by nothing; shared test code lives in testkit/',
      severity: 'error',
      from: { pathNot: '^tests/' },
      to: { path: '^tests/' },
    },
    {
      name: 'no-circular',
      comment: 'no import cycles',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'every import of our own files resolves (a rule cannot judge an import it cannot resolve; tsc checks the packages)',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, path: '^[.]' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|var|coverage|console/dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
