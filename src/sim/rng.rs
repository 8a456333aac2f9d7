//! Random streams: one scenario seed, a separate ChaCha stream for each
//! component.
//!
//! ChaCha takes a 64-bit stream number beside the seed, giving independent
//! sequences from one key. Giving the network, the workload, the fault
//! schedule and each node its own stream means a change to one part of a
//! scenario (another workload mix, one more fault) does not reshuffle the
//! draws of the others, so two runs stay comparable. ChaCha's output is
//! fixed by its specification, unlike `StdRng` or `SmallRng`.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The components that draw randomness, each on its own stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Network,
    Workload,
    /// Draws made while faults are applied (which side of a split).
    Faults,
    /// The nemesis's schedule, drawn before the run starts.
    Nemesis,
    Node(u32),
    Client(u32),
}

impl Stream {
    fn number(self) -> u64 {
        match self {
            Stream::Network => 1,
            Stream::Workload => 2,
            Stream::Faults => 3,
            Stream::Nemesis => 4,
            Stream::Node(i) => (1 << 32) | u64::from(i),
            Stream::Client(i) => (2 << 32) | u64::from(i),
        }
    }
}

/// The generator for `stream` under the scenario's `seed`.
pub fn stream(seed: u64, which: Stream) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(which.number());
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let a: u64 = stream(7, Stream::Network).random();
        let b: u64 = stream(7, Stream::Network).random();
        let c: u64 = stream(7, Stream::Workload).random();
        let d: u64 = stream(8, Stream::Network).random();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert_ne!(
            stream(7, Stream::Node(1)).random::<u64>(),
            stream(7, Stream::Client(1)).random::<u64>()
        );
    }
}
