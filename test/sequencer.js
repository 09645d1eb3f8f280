// Orders test files for the 2-core machine: jest's own order (failed first, then slowest first),
// except that the files whose time is mostly waiting (functions run against stand-ins that
// answer slowly or ask to be retried later) alternate with the others, so one worker computes
// while the other waits, instead of both waiting at the start of the run.
const Sequencer = require("@jest/test-sequencer").default;

const MOSTLY_WAITING = ["functions/vault-reconciler/handler.test.ts", "functions/transcript-archiver/handler.test.ts"];

class AlternatingSequencer extends Sequencer {
  sort(tests) {
    const ordered = super.sort(tests);
    const waiting = ordered.filter((t) => MOSTLY_WAITING.some((f) => t.path.endsWith(f)));
    const computing = ordered.filter((t) => !waiting.includes(t));
    const result = [];
    while (waiting.length || computing.length) {
      if (waiting.length) result.push(waiting.shift());
      if (computing.length) result.push(computing.shift());
    }
    return result;
  }
}

module.exports = AlternatingSequencer;
