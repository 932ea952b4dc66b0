// Prints "N passed, N failed" (tests; a suite that failed to run counts as one failure) as the
// very last line of a Jest run. Jest calls custom reporters before its own summary reporter,
// so the line is written when the process exits, synchronously, after everything else.
const fs = require("fs");

class ClosingLineReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed\n`;
    process.once("exit", () => fs.writeSync(1, line));
  }
}

module.exports = ClosingLineReporter;
