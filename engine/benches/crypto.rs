//! Crypto benchmarks, compared against OpenSSL by `ci/bench.sh`:
//! PRF (master secret + key block), AES-GCM record seal/open of 16 KiB,
//! and the server's RSA-2048 premaster decryption, the last two with each
//! provider (benchmark names end in `_rustcrypto` or `_aws-lc`). Needs the
//! `aws-lc` feature: `cargo bench -p gauntlet-engine --features aws-lc`.

#![allow(clippy::unwrap_used)] // benchmark setup: a panic is a failure

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gauntlet_engine::crypto::aws_lc::{AwsLc, AwsLcRsaKey};
use gauntlet_engine::crypto::keys::{key_block, master_secret};
use gauntlet_engine::crypto::prf::PrfHash;
use gauntlet_engine::crypto::rsa_kx::RsaDecrypt;
use gauntlet_engine::crypto::rsa_kx::{decrypt_premaster, private_key_from_pem, Premaster};
use gauntlet_engine::enums::{ContentType, ProtocolVersion};
use gauntlet_engine::provider::{CryptoProvider, Provider, RustCrypto};
use gauntlet_engine::record::protection::{open_record, seal_record, RecordSealer};
use std::hint::black_box;

const RECORD: usize = 16 * 1024;

fn prf(c: &mut Criterion) {
    let mut g = c.benchmark_group("prf");
    let pm = Premaster::from_bytes([0x03; 48]);
    let (cr, sr) = ([0x11; 32], [0x22; 32]);
    for (name, hash, key_len) in [
        ("ms+keyblock/sha256", PrfHash::Sha256, 16),
        ("ms+keyblock/sha384", PrfHash::Sha384, 32),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let ms = master_secret(hash, black_box(&pm), &cr, &sr);
                key_block(hash, &ms, &cr, &sr, key_len)
            })
        });
    }
    g.finish();
}

const PROVIDERS: [(&str, &dyn CryptoProvider); 2] =
    [("rustcrypto", &RustCrypto), ("aws-lc", &AwsLc)];

fn gcm(c: &mut Criterion) {
    let mut g = c.benchmark_group("gcm");
    g.throughput(Throughput::Bytes(RECORD as u64));
    let plaintext = vec![0x61u8; RECORD];
    let typ = ContentType::ApplicationData;
    let v = ProtocolVersion::TLSv1_2;
    for (provider, crypto) in PROVIDERS {
        for (name, key) in [("aes128", vec![7u8; 16]), ("aes256", vec![7u8; 32])] {
            let salt = [1, 2, 3, 4];
            let mut sealer = RecordSealer::with_crypto(crypto, &key, salt).unwrap();
            g.bench_function(format!("seal16k/{name}_{provider}"), |b| {
                b.iter(|| sealer.seal(typ, v, black_box(&plaintext)).unwrap())
            });
            let aead = crypto.record_aead(&key).unwrap();
            let fragment = seal_record(&*aead, &salt, &[0; 8], 0, typ, v, &plaintext).unwrap();
            g.bench_function(format!("open16k/{name}_{provider}"), |b| {
                b.iter(|| open_record(&*aead, &salt, 0, typ, v, black_box(&fragment)).unwrap())
            });
        }
    }
    g.finish();
}

fn rsa(c: &mut Criterion) {
    let mut g = c.benchmark_group("rsa");
    let key = private_key_from_pem(include_str!("../src/crypto/testdata/rsa2048.pem")).unwrap();
    let aws = AwsLcRsaKey::from_rsa(&key).unwrap();
    let ct = include_bytes!("../src/crypto/testdata/premaster.ct");
    let mut rng = Provider::from_seed([0; 32]);
    let random = [0u8; 48];
    let backends: [(&str, &dyn RsaDecrypt); 2] = [("rustcrypto", &key), ("aws-lc", &aws)];
    for (provider, key) in backends {
        g.bench_function(format!("decrypt_premaster/2048_{provider}"), |b| {
            b.iter(|| {
                decrypt_premaster(
                    key,
                    &mut rng,
                    black_box(ct),
                    ProtocolVersion::TLSv1_2,
                    &random,
                )
            })
        });
    }
    g.finish();
}

criterion_group!(benches, prf, gcm, rsa);
criterion_main!(benches);
