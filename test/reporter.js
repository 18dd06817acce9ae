// Mocha's spec reporter plus the plain closing line that CI reads: "N passed, N failed, N skipped".
// Pending tests are listed with their reason so that a skip always says why.
'use strict';
const Mocha = require('mocha');
const { Spec } = Mocha.reporters;
const { EVENT_RUN_END, EVENT_TEST_PENDING } = Mocha.Runner.constants;

class PrunelabReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    const skipped = [];
    runner.on(EVENT_TEST_PENDING, (test) => skipped.push(test.fullTitle()));
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats;
      if (skipped.length) {
        console.log('Skipped tests (each test prints its reason above):');
        for (const t of skipped) console.log(`  - ${t}`);
      }
      console.log(`${s.passes} passed, ${s.failures} failed, ${s.pending} skipped`);
    });
  }
}
module.exports = PrunelabReporter;
