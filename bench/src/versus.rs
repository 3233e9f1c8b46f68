//! `--unix` and `--async`: one of datagrams' sockets against one baseline, side by side in one run,
//! alternating A B, then B A, so that drift in the machine hits both alike.

use std::os::unix::net::UnixDatagram as StdUnixDatagram;

use datagrams::UnixDatagram;

use crate::report;
use crate::workload::{Plan, Tally, Workload};
use crate::{sockets, tasks};

/// What is measured against what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// datagrams' `UnixDatagram` against std's, over abstract addresses.
    Unix,
    /// datagrams' async `UdpSocket` against `tokio::net::UdpSocket`, on a 2-worker runtime.
    Async,
}

impl Mode {
    /// Column labels: (ours, baseline).
    fn labels(self) -> (&'static str, &'static str) {
        match self {
            Mode::Unix => ("dgram UnixDatagram", "std UnixDatagram"),
            Mode::Async => ("dgram tokio UdpSocket", "tokio UdpSocket"),
        }
    }

    /// JSON names: (socket, baseline).
    fn json(self) -> (&'static str, &'static str) {
        match self {
            Mode::Unix => ("unix", "std::os::unix::net::UnixDatagram"),
            Mode::Async => ("udp-async", "tokio::net::UdpSocket"),
        }
    }
}

/// Measures `mode` over `plan` and prints a table, or with `json` one JSON object.
pub(crate) fn run(mode: Mode, plan: &Plan, json: bool) -> Result<(), String> {
    let runtime = match mode {
        Mode::Async => Some(tasks::runtime().map_err(|e| format!("cannot start tokio: {e}"))?),
        Mode::Unix => None,
    };
    let bar = report::progress_bar(plan.workloads.len() as u64 * u64::from(plan.rounds) * 2);
    let baseline = mode.labels().1;
    let mut results = Vec::new();
    for w in &plan.workloads {
        let (mut ours, mut base) = (Tally::default(), Tally::default());
        for round in 1..=plan.rounds {
            // A B, then B A: whichever runs second in a pair meets a warmer machine, so it alternates.
            let order = if round % 2 == 1 {
                [true, false]
            } else {
                [false, true]
            };
            for dgram_turn in order {
                let who = if dgram_turn { "dgram" } else { baseline };
                bar.set_message(format!(
                    "{}: {who}, round {round}/{}",
                    w.name(),
                    plan.rounds
                ));
                let tally = if dgram_turn { &mut ours } else { &mut base };
                measure(mode, runtime.as_ref(), dgram_turn, *w, plan, tally)
                    .map_err(|e| format!("{}: {who}: {e}", w.name()))?;
                bar.inc(1);
            }
            ours.close_round();
            base.close_round();
        }
        results.push((*w, ours, base));
    }
    bar.finish_and_clear();
    if json {
        println!("{}", report::versus_json(&mut results, mode.json()));
    } else {
        report::print_versus(&mut results, mode.labels());
    }
    Ok(())
}

/// One turn of one side: datagrams' socket (`dgram_turn`) or the baseline.
fn measure(
    mode: Mode,
    runtime: Option<&tokio::runtime::Runtime>,
    dgram_turn: bool,
    w: Workload,
    plan: &Plan,
    tally: &mut Tally,
) -> std::io::Result<()> {
    let slice = plan.slice;
    match (mode, dgram_turn, runtime) {
        (Mode::Async, true, Some(rt)) => {
            tasks::measure::<datagrams::tokio::UdpSocket>(rt, w, slice, tally)
        }
        (Mode::Async, false, Some(rt)) => {
            tasks::measure::<tokio::net::UdpSocket>(rt, w, slice, tally)
        }
        (Mode::Unix, true, _) => sockets::measure::<UnixDatagram>(w, slice, tally),
        (Mode::Unix, false, _) => sockets::measure::<StdUnixDatagram>(w, slice, tally),
        (Mode::Async, _, None) => Err(std::io::Error::other("no runtime")),
    }
}
