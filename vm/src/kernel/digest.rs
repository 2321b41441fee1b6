//! The digest that keys builds (config fragments, patches): FNV-1a, 64
//! bits, stable across toolchains and releases, unlike std's hasher, so a
//! cache made by one llconf is found by the next.

pub struct Fnv(u64);

impl Fnv {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// 16 hex digits.
    pub fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case::nothing(b"", "cbf29ce484222325")]
    #[case::a(b"a", "af63dc4c8601ec8c")]
    fn known_values(#[case] input: &[u8], #[case] hex: &str) {
        let mut h = Fnv::new();
        h.feed(input);
        assert_eq!(h.hex(), hex);
    }
}
