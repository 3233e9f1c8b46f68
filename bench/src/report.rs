//! What a run shows: the progress bar while it measures, then a table or one JSON object, for the
//! all-ways comparison ([`print_ways`], [`ways_json`]) and for one socket against one baseline
//! ([`print_versus`], [`versus_json`]). Every ratio is the median over rounds of the two rates
//! measured in the same round.

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use crate::workload::{Kind, Row, Tally, Workload, paired_ratio, paired_ratios, round_ratios};

/// A progress bar of `len` steps, on standard error (it disappears when the run ends).
pub(crate) fn progress_bar(len: u64) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// A rate with an SI prefix: `1.234 M`, `12.3 k`, `12 `.
fn human(rate: f64) -> String {
    if rate >= 1e6 {
        format!("{:.3} M", rate / 1e6)
    } else if rate >= 1e3 {
        format!("{:.1} k", rate / 1e3)
    } else {
        format!("{rate:.0} ")
    }
}

/// A tally's rate in the unit of its workload: datagrams/s, Gbit/s (from 1000 bytes) or round
/// trips/s.
fn rate(w: &Workload, t: &Tally) -> String {
    match w.kind {
        Kind::OneWay if w.size >= 1000 => format!("{:.3} Gbit/s", t.gbits()),
        Kind::OneWay => format!("{}dgram/s", human(t.rate())),
        Kind::PingPong => format!("{}rt/s", human(t.rate())),
    }
}

/// What one side did, as JSON (with its round-trip percentiles in a ping-pong workload).
fn side(t: &mut Tally, kind: Kind) -> Value {
    let mut v = json!({
        "sent": t.sent,
        "received": t.received,
        "lost": t.lost(),
        "bytes": t.bytes,
        "secs": t.elapsed.as_secs_f64(),
        "per_sec": t.rate(),
        "gbit_per_sec": t.gbits(),
    });
    if let Kind::PingPong = kind {
        v["p50_us"] = json!(t.percentile_us(0.5));
        v["p99_us"] = json!(t.percentile_us(0.99));
    }
    v
}

/// The table of one socket against one baseline: `labels` are their column titles.
pub(crate) fn print_versus(results: &mut [(Workload, Tally, Tally)], labels: (&str, &str)) {
    let (ours, base) = labels;
    println!(
        "{:<20} {:>22} {:>22} {:>10}",
        "workload", ours, base, "dgram/base"
    );
    // The ratio column is the median over rounds of dgram's rate over the baseline's in the same
    // round (A B, then B A), so that drift between rounds cancels out.
    for (w, ours, std) in results.iter_mut() {
        let ratio = paired_ratio(ours, std);
        let (o, s) = (rate(w, ours), rate(w, std));
        println!("{:<20} {o:>22} {s:>22} {ratio:>10.3}", w.name());
        if let Kind::PingPong = w.kind {
            let (o50, o99, s50, s99) = (
                ours.percentile_us(0.5),
                ours.percentile_us(0.99),
                std.percentile_us(0.5),
                std.percentile_us(0.99),
            );
            println!(
                "{:<20} {:>22} {:>22}",
                "  p50/p99 (us)",
                format!("{o50:.1}/{o99:.1}"),
                format!("{s50:.1}/{s99:.1}")
            );
        }
        println!(
            "{:<20} {:>22} {:>22}",
            "  lost/sent",
            format!("{}/{}", ours.lost(), ours.sent),
            format!("{}/{}", std.lost(), std.sent)
        );
    }
}

/// The JSON of one socket against one baseline: `ids` name them (`socket`, `baseline`).
pub(crate) fn versus_json(results: &mut [(Workload, Tally, Tally)], ids: (&str, &str)) -> Value {
    let rows: Vec<_> = results
        .iter_mut()
        .map(|(w, ours, std)| {
            let aggregate = ours.rate() / std.rate().max(1e-9);
            let ratio = paired_ratio(ours, std);
            json!({
                "workload": w.id(),
                "size": w.size,
                "unit": match w.kind { Kind::OneWay => "datagrams/s", Kind::PingPong => "round trips/s" },
                "dgram": side(ours, w.kind),
                "std": side(std, w.kind),
                "ratio": ratio,
                "ratio_aggregate": aggregate,
                "rounds": ours.per_round.len(),
            })
        })
        .collect();
    json!({
        "socket": ids.0,
        "baseline": ids.1,
        "workloads": rows,
    })
}

/// Each row's baselines that were measured, with their tallies.
fn measured_baselines<'a>(row: &'a Row, rows: &'a [Row]) -> impl Iterator<Item = &'a Row> {
    row.baselines
        .iter()
        .filter_map(|b| rows.iter().find(|r| r.id == *b))
}

/// The all-ways comparison as one JSON object: every way of every workload with its ratios (each
/// with the spread over rounds, for judging how far the median is to be trusted).
pub(crate) fn ways_json(tables: &[(Workload, Vec<Row>)], rounds: u32, lockstep: bool) -> Value {
    let out: Vec<_> = tables
        .iter()
        .map(|(w, rows)| {
            let ways: Vec<_> = rows
                .iter()
                .map(|r| {
                    let ratios: Vec<_> = measured_baselines(r, rows)
                        .map(|b| {
                            let all = paired_ratios(&r.tally, &b.tally);
                            json!({
                                "vs": b.id,
                                "value": paired_ratio(&r.tally, &b.tally),
                                "low": all.first().copied().unwrap_or(0.0),
                                "high": all.last().copied().unwrap_or(0.0),
                                "rounds": round_ratios(&r.tally, &b.tally),
                            })
                        })
                        .collect();
                    let mut v = side(&mut r.tally.clone(), w.kind);
                    v["id"] = json!(r.id);
                    v["name"] = json!(r.name);
                    v["kernel_drops"] = json!(r.kernel_drops);
                    v["turns"] = json!(r.turns);
                    v["ratios"] = json!(ratios);
                    v
                })
                .collect();
            json!({ "workload": w.id(), "size": w.size, "ways": ways })
        })
        .collect();
    json!({ "socket": "udp", "rounds": rounds, "lockstep": lockstep, "workloads": out })
}

/// The all-ways comparison as a table per workload.
pub(crate) fn print_ways(tables: &[(Workload, Vec<Row>)], lockstep: bool) {
    for (w, rows) in tables {
        println!("{}", w.name());
        println!(
            "  {:<30} {:>16} {:>22} {:>14} {:>60}",
            "way", "rate", "lost/sent", "kernel drops", "ratio"
        );
        for r in rows {
            let ratio = measured_baselines(r, rows)
                .map(|b| format!("{:.3} vs {}", paired_ratio(&r.tally, &b.tally), b.id))
                .collect::<Vec<_>>()
                .join(", ");
            // The threaded async rows have no drop probe; in lockstep every one-way row has.
            let drops = if matches!(w.kind, Kind::OneWay)
                && (lockstep || !r.id.contains("tokio") && r.id != "dgram_async")
            {
                r.kernel_drops.to_string()
            } else {
                String::from("-")
            };
            println!(
                "  {:<30} {:>16} {:>22} {:>14} {:>60}",
                r.name,
                rate(w, &r.tally),
                format!("{}/{}", r.tally.lost(), r.tally.sent),
                drops,
                ratio
            );
            if let Kind::PingPong = w.kind {
                let mut t = r.tally.clone();
                let (p50, p99) = (t.percentile_us(0.5), t.percentile_us(0.99));
                println!(
                    "  {:<30} {:>16}",
                    "  p50/p99 (us)",
                    format!("{p50:.1}/{p99:.1}")
                );
            }
        }
    }
    println!("ratio: median over rounds of the way's rate over its baseline's in the same round");
}
