//! `client`: see `gauntlet_engine::fuzzing::client` for the input layout and the
//! invariants checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: gauntlet_fuzz::init(true), |data: &[u8]| {
    gauntlet_fuzz::bounded(|| {
        gauntlet_engine::fuzzing::client(data);
    });
});
