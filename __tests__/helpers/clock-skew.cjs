// Preloaded into a node process (NODE_OPTIONS=--require …) to run it with its clock
// LIVELINE_TEST_CLOCK_SKEW_MS off from the machine's: two servers whose clocks disagree.
const skew = Number(process.env.LIVELINE_TEST_CLOCK_SKEW_MS ?? '0');
const RealDate = Date;
class SkewedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + skew);
    else super(...args);
  }
  static now() {
    return RealDate.now() + skew;
  }
}
globalThis.Date = SkewedDate;
