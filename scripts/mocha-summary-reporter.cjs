// Spec output for people, plus the run's counts written to REHEARSAL_STATS_FILE so
// scripts/test.mjs can print one summary line over every package.
const Mocha = require('mocha');
const { writeFileSync } = require('node:fs');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const file = process.env.REHEARSAL_STATS_FILE;
      if (!file) return;
      const { passes, failures, pending } = runner.stats;
      writeFileSync(file, JSON.stringify({ passes, failures, pending }));
    });
  }
}
module.exports = SummaryReporter;
