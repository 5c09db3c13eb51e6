//! `message`: see `gauntlet_engine::fuzzing::message` for the input layout and the
//! invariants checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: gauntlet_fuzz::init(false), |data: &[u8]| {
    gauntlet_fuzz::bounded(|| {
        gauntlet_engine::fuzzing::message(data);
    });
});
