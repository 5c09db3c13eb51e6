//! `deframer`: see `gauntlet_harness::fuzzing::deframer` for the input layout and the
//! invariants checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: gauntlet_fuzz::init(), |data: &[u8]| {
    gauntlet_fuzz::bounded(|| {
        gauntlet_harness::fuzzing::deframer(data);
    });
});
