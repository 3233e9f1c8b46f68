//! Per-stream receive accounting: loss, reordering, duplicates (a window of recent sequence
//! numbers, allocated once) and RFC 3550 section 6.4.1 interarrival jitter.

/// Sequence numbers remembered for duplicate detection (a bitmap, allocated once).
const WINDOW: u64 = 1 << 20;

/// Counters of one receiving stream.
#[derive(Debug)]
pub(crate) struct Stream {
    /// Distinct datagrams received.
    pub(crate) received: u64,
    /// Bytes of distinct datagrams received.
    pub(crate) bytes: u64,
    /// Datagrams that arrived after a higher sequence number.
    pub(crate) reordered: u64,
    /// Datagrams received twice (within the window).
    pub(crate) duplicates: u64,
    /// Highest sequence number seen plus one.
    pub(crate) next: u64,
    /// RFC 3550 jitter estimate, in nanoseconds.
    pub(crate) jitter_ns: f64,
    last_transit: Option<i128>,
    seen: Vec<u64>,
}

impl Stream {
    pub(crate) fn new() -> Stream {
        Stream {
            received: 0,
            bytes: 0,
            reordered: 0,
            duplicates: 0,
            next: 0,
            jitter_ns: 0.0,
            last_transit: None,
            seen: vec![0; (WINDOW / 64) as usize],
        }
    }

    /// Accounts one datagram of `len` bytes with sequence `seq`, sent at `sent_ns` and received at
    /// `arrival_ns` (same clock origin, or a constant offset: jitter uses differences only).
    pub(crate) fn record(&mut self, seq: u64, len: usize, sent_ns: u64, arrival_ns: u64) {
        // `seq` comes from the network: `seq + WINDOW` could overflow.
        if seq < self.next.saturating_sub(WINDOW - 1) {
            // Too old to tell a duplicate from a late one: count it late.
            self.reordered += 1;
            return;
        }
        let slot = (seq % WINDOW) as usize;
        let (word, bit) = (slot / 64, 1u64 << (slot % 64));
        if seq < self.next {
            if self.seen[word] & bit != 0 {
                self.duplicates += 1;
                return;
            }
            self.reordered += 1;
        } else {
            // Forget the slots the window slides past.
            let mut s = self.next.max(seq.saturating_sub(WINDOW - 1));
            while s < seq {
                let o = (s % WINDOW) as usize;
                self.seen[o / 64] &= !(1u64 << (o % 64));
                s += 1;
            }
            self.next = seq + 1;
        }
        self.seen[word] |= bit;
        self.received += 1;
        self.bytes += len as u64;
        let transit = i128::from(arrival_ns) - i128::from(sent_ns);
        if let Some(prev) = self.last_transit {
            let d = (transit - prev).abs() as f64;
            self.jitter_ns += (d - self.jitter_ns) / 16.0;
        }
        self.last_transit = Some(transit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sequence numbers from the network near `u64::MAX` (a garbage datagram) are counted, not a
    /// panic.
    #[test]
    fn sequence_near_the_top_is_counted() {
        let mut st = Stream::new();
        st.record(0, 20, 0, 10);
        st.record(u64::MAX - 1, 20, 0, 20);
        st.record(5, 20, 0, 30);
        assert_eq!(st.received, 2);
        assert_eq!(st.next, u64::MAX);
        assert_eq!(st.reordered, 1);
    }

    /// The window: the oldest sequence number it tells apart (a late one, then a duplicate), and
    /// the one below it (late whatever it is).
    #[test]
    fn window_edges() {
        let mut st = Stream::new();
        st.record(WINDOW, 20, 0, 0);
        st.record(2, 20, 0, 0);
        assert_eq!((st.received, st.reordered), (2, 1));
        st.record(2, 20, 0, 0);
        assert_eq!(st.duplicates, 1);
        st.record(1, 20, 0, 0);
        assert_eq!((st.received, st.reordered, st.duplicates), (2, 2, 1));
    }

    /// RFC 3550 6.4.1: J += (|D| - J) / 16 over consecutive arrivals.
    #[test]
    fn jitter_follows_rfc_3550() {
        let mut st = Stream::new();
        st.record(0, 20, 0, 100);
        st.record(1, 20, 1000, 1100);
        assert_eq!(st.jitter_ns, 0.0);
        st.record(2, 20, 2000, 2260);
        assert_eq!(st.jitter_ns, 10.0);
    }
}
