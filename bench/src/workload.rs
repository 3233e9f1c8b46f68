//! What is measured and what a measurement holds: the workloads, the run's plan (rounds, the time
//! each way gets a round), each way's tally over the rounds and the paired ratios taken from it.

use std::time::Duration;

use crate::ways::Run;

/// The shape of a workload.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// A sender sends, a receiver counts what arrives; the rest is loss.
    OneWay,
    /// One datagram in flight, echoed back; round-trip times recorded.
    PingPong,
}

/// One workload: a shape and a payload size.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Workload {
    pub(crate) kind: Kind,
    pub(crate) size: usize,
}

impl Workload {
    /// Its name in the table.
    pub(crate) fn name(&self) -> String {
        match self.kind {
            Kind::OneWay => format!("{} B one-way", self.size),
            Kind::PingPong => format!("{} B ping-pong", self.size),
        }
    }

    /// Its id in the JSON.
    pub(crate) fn id(&self) -> String {
        match self.kind {
            Kind::OneWay => format!("oneway_{}", self.size),
            Kind::PingPong => format!("pingpong_{}", self.size),
        }
    }
}

/// The most rounds `--rounds` takes: each round costs a few tens of milliseconds of set-up whatever
/// `--secs` says, so more would outlast any sensible run.
pub(crate) const MAX_ROUNDS: u32 = 1000;

/// A run's plan, checked: the workloads, the rounds, and the time each way gets in a round.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) workloads: Vec<Workload>,
    pub(crate) rounds: u32,
    pub(crate) slice: Duration,
}

impl Plan {
    /// `secs` for each way and workload, split over `rounds`; one size for both workloads, or the
    /// default three (64 and 1200 bytes one-way, 64 bytes ping-pong).
    pub(crate) fn new(size: Option<usize>, secs: f64, rounds: u32) -> Result<Plan, String> {
        if !(secs > 0.0 && secs <= 3600.0) {
            return Err(format!(
                "--secs must be a positive number of seconds, not {secs}"
            ));
        }
        if !(1..=MAX_ROUNDS).contains(&rounds) {
            return Err(format!("--rounds must be 1..={MAX_ROUNDS}, not {rounds}"));
        }
        let (one_way, ping_pong) = (Kind::OneWay, Kind::PingPong);
        let workloads = match size {
            Some(size) if size == 0 || size > datagrams::MAX_PAYLOAD_V4 => {
                return Err(format!(
                    "--size must be 1..={} bytes, not {size}",
                    datagrams::MAX_PAYLOAD_V4
                ));
            }
            Some(size) => vec![(one_way, size), (ping_pong, size)],
            None => vec![(one_way, 64), (one_way, 1200), (ping_pong, 64)],
        };
        let slice = Duration::try_from_secs_f64(secs / f64::from(rounds))
            .map_err(|_| format!("--secs {secs} is out of range"))?;
        // Below a millisecond a round measures nothing (a ping-pong round trip alone takes tens of
        // µs, and the lockstep turns are 1 ms).
        if slice < Duration::from_millis(1) {
            return Err(format!(
                "--secs {secs} over {rounds} rounds leaves under 1 ms a round: give more seconds or fewer rounds"
            ));
        }
        Ok(Plan {
            workloads: workloads
                .into_iter()
                .map(|(kind, size)| Workload { kind, size })
                .collect(),
            rounds,
            slice,
        })
    }
}

/// What one implementation did in one workload, summed over the rounds.
#[derive(Debug, Default, Clone)]
pub(crate) struct Tally {
    pub(crate) sent: u64,
    pub(crate) received: u64,
    pub(crate) bytes: u64,
    pub(crate) elapsed: Duration,
    pub(crate) rtts_ns: Vec<u64>,
    /// The figure of merit of each round alone (datagrams or round trips per second), for paired
    /// ratios that drift between rounds cannot bias.
    pub(crate) per_round: Vec<f64>,
    /// (received, elapsed seconds) at the end of the previous round.
    mark: (u64, f64),
}

impl Tally {
    /// Records this round's rate (the counters so far minus those at the previous round's end).
    pub(crate) fn close_round(&mut self) {
        let (received, secs) = (self.received, self.elapsed.as_secs_f64());
        let (prev_received, prev_secs) = self.mark;
        let dt = secs - prev_secs;
        self.per_round.push(if dt > 0.0 {
            (received - prev_received) as f64 / dt
        } else {
            0.0
        });
        self.mark = (received, secs);
    }

    /// Datagrams (or round trips) received per second, over all rounds.
    pub(crate) fn rate(&self) -> f64 {
        self.received as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Bytes received, in Gbit/s, over all rounds.
    pub(crate) fn gbits(&self) -> f64 {
        self.bytes as f64 * 8.0 / self.elapsed.as_secs_f64().max(1e-9) / 1e9
    }

    /// Sent and never received.
    pub(crate) fn lost(&self) -> u64 {
        self.sent.saturating_sub(self.received)
    }

    /// The round-trip time at percentile `p` (0 to 1), in µs; 0 with none recorded.
    pub(crate) fn percentile_us(&mut self, p: f64) -> f64 {
        if self.rtts_ns.is_empty() {
            return 0.0;
        }
        self.rtts_ns.sort_unstable();
        let i = ((self.rtts_ns.len() - 1) as f64 * p).round() as usize;
        self.rtts_ns[i] as f64 / 1e3
    }
}

/// The per-round ratios ours/base, in round order: each round measured both sides back to back (a
/// round whose base measured nothing is left out).
pub(crate) fn round_ratios(ours: &Tally, base: &Tally) -> Vec<f64> {
    ours.per_round
        .iter()
        .zip(&base.per_round)
        .filter(|(_, b)| **b > 0.0)
        .map(|(o, b)| o / b)
        .collect()
}

/// [`round_ratios`], sorted.
pub(crate) fn paired_ratios(ours: &Tally, base: &Tally) -> Vec<f64> {
    let mut r = round_ratios(ours, base);
    r.sort_by(f64::total_cmp);
    r
}

/// The median of [`paired_ratios`] (0 when there is none).
pub(crate) fn paired_ratio(ours: &Tally, base: &Tally) -> f64 {
    let r = paired_ratios(ours, base);
    let mid = r.len() / 2;
    match r.len() {
        0 => 0.0,
        n if n % 2 == 1 => r[mid],
        _ => (r[mid - 1] + r[mid]) / 2.0,
    }
}

/// One row of the all-ways table: a way of moving datagrams, what it is compared with, and what it
/// did over the rounds.
#[derive(Debug)]
pub(crate) struct Row {
    pub(crate) id: &'static str,
    pub(crate) name: &'static str,
    /// The ids of the rows its rate is compared with.
    pub(crate) baselines: Vec<&'static str>,
    pub(crate) tally: Tally,
    /// The kernel's count of datagrams it dropped for a full receive buffer (`SO_RXQ_OVFL`).
    pub(crate) kernel_drops: u64,
    /// Its turns in lockstep, over the rounds (see [`Run::turns`]).
    pub(crate) turns: u64,
}

impl Row {
    /// A row that has measured nothing yet.
    pub(crate) fn new(id: &'static str, name: &'static str, baselines: Vec<&'static str>) -> Row {
        Row {
            id,
            name,
            baselines,
            tally: Tally::default(),
            kernel_drops: 0,
            turns: 0,
        }
    }

    /// Adds one run of this row's way.
    pub(crate) fn add(&mut self, r: &Run) {
        self.tally.sent += r.sent;
        self.tally.received += r.received;
        self.tally.bytes += r.bytes;
        self.tally.elapsed += Duration::from_secs_f64(r.secs);
        self.kernel_drops += r.kernel_drops;
        self.turns += r.turns;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(per_round: &[f64]) -> Tally {
        Tally {
            per_round: per_round.to_vec(),
            ..Tally::default()
        }
    }

    #[test]
    fn the_ratio_is_the_median_of_the_rounds_ratios() {
        let (ours, base) = (tally(&[2.0, 9.0, 3.0, 1.0]), tally(&[1.0, 3.0, 0.0, 2.0]));
        // the third round's base measured nothing: it is left out
        assert_eq!(round_ratios(&ours, &base), [2.0, 3.0, 0.5]);
        assert_eq!(paired_ratios(&ours, &base), [0.5, 2.0, 3.0]);
        assert_eq!(paired_ratio(&ours, &base), 2.0);
        assert_eq!(paired_ratio(&tally(&[1.0, 3.0]), &tally(&[1.0, 1.0])), 2.0);
        assert_eq!(paired_ratio(&ours, &tally(&[])), 0.0);
    }

    #[test]
    fn a_round_is_the_counters_since_the_last() {
        let mut t = Tally::default();
        (t.received, t.elapsed) = (100, Duration::from_secs(1));
        t.close_round();
        (t.received, t.elapsed) = (400, Duration::from_secs(2));
        t.close_round();
        t.close_round();
        assert_eq!(t.per_round, [100.0, 300.0, 0.0]);
    }

    #[test]
    fn a_plan_refuses_what_cannot_be_measured() {
        assert!(Plan::new(None, 1.0, 0).unwrap_err().contains("1..=1000"));
        assert!(Plan::new(None, -1.0, 4).unwrap_err().contains("--secs"));
        assert!(Plan::new(Some(0), 1.0, 4).unwrap_err().contains("--size"));
        assert!(
            Plan::new(None, 1e-9, 10)
                .unwrap_err()
                .contains("under 1 ms")
        );
        let p = Plan::new(Some(100), 1.0, 4).unwrap();
        assert_eq!(
            (p.workloads.len(), p.slice),
            (2, Duration::from_millis(250))
        );
        assert_eq!(Plan::new(None, 1.0, 4).unwrap().workloads.len(), 3);
    }
}
