//! The default run: every way datagrams moves datagrams, side by side with its baselines, in every
//! workload. One-way workloads run the ways in lockstep (all in one thread, interleaved; see
//! [`ways::run_lockstep`]) or, with `--threaded`, one after another in a rotating order, each a
//! sender thread racing its receiver. Ping-pong runs the blocking and async `send_to`/`recv_from`
//! pairs one after another in a rotating order.

use std::net::UdpSocket as StdUdpSocket;

use indicatif::ProgressBar;

use crate::report;
use crate::ways::{self, Way};
use crate::workload::{Kind, Plan, Row, Workload};
use crate::{sockets, tasks};

/// The one-way rows measured as tasks on the multi-thread runtime when not in lockstep (in lockstep,
/// the ways `Tokio` and `DgramAsync`): (id, name).
const ASYNC: [(&str, &str); 2] = [
    ("tokio", "tokio::net::UdpSocket"),
    ("dgram_async", "dgram tokio UdpSocket"),
];

/// The ping-pong rows: (id, name, baseline).
const PING_PONG: [(&str, &str, Option<&str>); 4] = [
    ("std", "std UdpSocket", None),
    ("dgram", "dgram UdpSocket", Some("std")),
    ("tokio", "tokio::net::UdpSocket", None),
    ("dgram_async", "dgram tokio UdpSocket", Some("tokio")),
];

/// The ids of the one-way rows, in table order: what `--ways` chooses from.
fn one_way_ids() -> impl Iterator<Item = &'static str> {
    Way::ALL
        .iter()
        .map(|w| w.id())
        .chain(ASYNC.iter().map(|a| a.0))
}

/// The rows `--ways` asks for (all of them when it names none).
struct Selection<'a>(&'a [String]);

impl Selection<'_> {
    /// Checks that every id names a one-way row.
    fn new(ids: &[String]) -> Result<Selection<'_>, String> {
        match ids
            .iter()
            .find(|id| !one_way_ids().any(|k| k == id.as_str()))
        {
            Some(bad) => Err(format!(
                "--ways: no way is called {bad:?}; the ways are {}",
                one_way_ids().collect::<Vec<_>>().join(", ")
            )),
            None => Ok(Selection(ids)),
        }
    }

    fn wants(&self, id: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|w| w == id)
    }

    /// The rows of a workload of `kind` that are wanted, in table order.
    fn rows(&self, kind: Kind) -> Vec<Row> {
        let mut rows: Vec<Row> = match kind {
            Kind::OneWay => Way::ALL
                .iter()
                .map(|way| {
                    let baselines = way.baselines().iter().map(|b| b.id()).collect();
                    Row::new(way.id(), way.name(), baselines)
                })
                .chain(ASYNC.iter().map(|&(id, name)| {
                    let baselines = if id == "dgram_async" {
                        vec!["tokio"]
                    } else {
                        vec![]
                    };
                    Row::new(id, name, baselines)
                }))
                .collect(),
            Kind::PingPong => PING_PONG
                .iter()
                .map(|&(id, name, baseline)| Row::new(id, name, baseline.into_iter().collect()))
                .collect(),
        };
        rows.retain(|r| self.wants(r.id));
        rows
    }
}

/// Measures every wanted way of every workload of `plan`, then prints a table per workload, or with
/// `json` one JSON object. `lockstep`: the one-way ways run interleaved in one thread.
pub(crate) fn run(plan: &Plan, ways: &[String], lockstep: bool, json: bool) -> Result<(), String> {
    let selection = Selection::new(ways)?;
    let rt = tasks::runtime().map_err(|e| format!("cannot start tokio: {e}"))?;
    let steps: usize = plan
        .workloads
        .iter()
        .map(|w| selection.rows(w.kind).len())
        .sum();
    let bar = report::progress_bar((steps * plan.rounds as usize) as u64);
    let mut tables = Vec::new();
    for w in &plan.workloads {
        let mut rows = selection.rows(w.kind);
        if rows.is_empty() {
            continue;
        }
        let turn = Turn {
            w: *w,
            plan,
            rt: &rt,
            bar: &bar,
        };
        turn.measure(&mut rows, lockstep)?;
        tables.push((*w, rows));
    }
    bar.finish_and_clear();
    if json {
        println!("{}", report::ways_json(&tables, plan.rounds, lockstep));
    } else {
        report::print_ways(&tables, lockstep);
    }
    Ok(())
}

/// What measuring one workload needs.
struct Turn<'a> {
    w: Workload,
    plan: &'a Plan,
    /// The multi-thread runtime of the async rows that run alone.
    rt: &'a tokio::runtime::Runtime,
    bar: &'a ProgressBar,
}

impl Turn<'_> {
    /// Measures `rows` over the plan's rounds: each round the lockstep ways together (when
    /// `lockstep` and the workload is one-way), then every other row alone, in an order rotated by
    /// one each round so that no row always runs first or last.
    fn measure(&self, rows: &mut [Row], lockstep: bool) -> Result<(), String> {
        let together: Vec<Way> = match self.w.kind {
            Kind::OneWay if lockstep => Way::LOCKSTEP
                .iter()
                .copied()
                .filter(|way| rows.iter().any(|r| r.id == way.id()))
                .collect(),
            _ => Vec::new(),
        };
        for round in 0..self.plan.rounds as usize {
            if !together.is_empty() {
                self.lockstep(&together, rows, round)?;
            }
            let n = rows.len();
            for k in 0..n {
                let row = &mut rows[(k + round) % n];
                if together.iter().any(|way| way.id() == row.id) {
                    continue;
                }
                self.alone(row, round)?;
            }
            for row in rows.iter_mut() {
                row.tally.close_round();
            }
        }
        Ok(())
    }

    /// The progress bar's message for `what` in `round` (from 0).
    fn say(&self, what: &str, round: usize) {
        let (name, rounds) = (self.w.name(), self.plan.rounds);
        self.bar
            .set_message(format!("{name}: {what}, round {}/{rounds}", round + 1));
    }

    /// One round of the lockstep ways, interleaved, each getting the plan's slice on average.
    fn lockstep(&self, ways: &[Way], rows: &mut [Row], round: usize) -> Result<(), String> {
        self.say("the ways in lockstep", round);
        let slice = self.plan.slice * ways.len() as u32;
        let runs = ways::run_lockstep(ways, self.w.size, slice)
            .map_err(|e| format!("{}: lockstep: {e}", self.w.name()))?;
        for (way, r) in ways.iter().zip(runs) {
            if let Some(row) = rows.iter_mut().find(|row| row.id == way.id()) {
                row.add(&r);
            }
        }
        self.bar.inc(ways.len() as u64);
        Ok(())
    }

    /// One round of one row's way, alone.
    fn alone(&self, row: &mut Row, round: usize) -> Result<(), String> {
        self.say(row.name, round);
        let (w, slice, rt) = (self.w, self.plan.slice, self.rt);
        let r = match (w.kind, row.id) {
            (_, "tokio") => tasks::measure::<tokio::net::UdpSocket>(rt, w, slice, &mut row.tally),
            (_, "dgram_async") => {
                tasks::measure::<datagrams::tokio::UdpSocket>(rt, w, slice, &mut row.tally)
            }
            (Kind::PingPong, "std") => {
                sockets::ping_pong::<StdUdpSocket>(w.size, slice, &mut row.tally)
            }
            (Kind::PingPong, "dgram") => {
                sockets::ping_pong::<datagrams::UdpSocket>(w.size, slice, &mut row.tally)
            }
            (Kind::OneWay, id) => match Way::ALL.iter().copied().find(|x| x.id() == id) {
                Some(way) => ways::run(way, w.size, slice).map(|r| row.add(&r)),
                None => Err(std::io::Error::other(format!(
                    "no one-way way is called {id:?}"
                ))),
            },
            (Kind::PingPong, id) => Err(std::io::Error::other(format!(
                "no ping-pong way is called {id:?}"
            ))),
        };
        r.map_err(|e| format!("{}: {}: {e}", w.name(), row.name))?;
        self.bar.inc(1);
        Ok(())
    }
}
