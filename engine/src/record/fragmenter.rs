//! Messages → record-sized fragments.

use super::MAX_PLAINTEXT;

/// Splits `payload` into fragments of at most `max_fragment` bytes (clamped
/// to 1..=2^14). An empty payload gives one empty fragment, which is how
/// zero-length application data is sent (RFC 5246 §6.2.1 allows it).
pub fn fragment(payload: &[u8], max_fragment: usize) -> impl Iterator<Item = &[u8]> {
    let size = max_fragment.clamp(1, MAX_PLAINTEXT);
    let empty = payload.is_empty().then_some(&payload[..0]);
    payload.chunks(size).chain(empty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_the_requested_size_and_keeps_every_byte() {
        let data: Vec<u8> = (0..=255u8).cycle().take(40_000).collect();
        for size in [1, 7, 16384, 100_000] {
            let parts: Vec<&[u8]> = fragment(&data, size).collect();
            assert!(parts
                .iter()
                .all(|p| !p.is_empty() && p.len() <= size.min(MAX_PLAINTEXT)));
            assert_eq!(parts.concat(), data);
        }
    }

    #[test]
    fn empty_payload_is_one_empty_fragment() {
        assert_eq!(fragment(&[], 100).collect::<Vec<_>>(), vec![&[] as &[u8]]);
    }

    #[test]
    fn zero_size_is_clamped_to_one_byte() {
        assert_eq!(fragment(&[1, 2], 0).count(), 2);
    }
}
