// Preloaded into a platform process under test (NODE_OPTIONS="--expose-gc --require …/gc-on-signal.cjs"): on SIGUSR2
// it runs a full garbage collection and says so on stderr, so that a test measures the memory the process holds,
// not the garbage it has not collected yet (tests/integration/gateway/flood.test.ts).
'use strict';
let runs = 0;
process.on('SIGUSR2', () => {
  if (typeof global.gc === 'function') global.gc();
  process.stderr.write(`gc-on-signal: collected ${++runs}\n`);
});
