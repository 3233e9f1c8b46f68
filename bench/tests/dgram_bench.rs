//! The `dgram-bench` command driven as a process. Measured rates depend on the machine and its load,
//! so no test compares one: they check what is exact (counts, the accounting of every loss, the
//! lockstep's turns, the structure of the output, ratios being finite, positive and the medians of
//! their rounds).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../datagrams/tests/common/mod.rs"]
mod common;

use std::process::{Command, Output};

use serde_json::Value;

fn dgram_bench(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dgram-bench"));
    c.args(args);
    c
}

/// Runs `dgram-bench ARGS`, which must succeed, and returns what it printed.
fn success(args: &[&str]) -> String {
    let out = dgram_bench(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `dgram-bench ARGS --json`, which must succeed, and parses what it prints.
fn bench_json(args: &[&str]) -> Value {
    serde_json::from_str(&success(&[args, &["--json"]].concat())).unwrap()
}

/// The ids of the one-way ways, in table order.
const ONE_WAY: [&str; 19] = [
    "std",
    "dgram",
    "dgram_batch",
    "dgram_batch_without_senders",
    "dgram_batch_async",
    "raw_batch",
    "raw_batch_senders",
    "dgram_gso",
    "dgram_gso_without_senders",
    "dgram_gso_async",
    "raw_gso",
    "raw_gso_senders",
    "dgram_batch_connected",
    "raw_batch_connected",
    "dgram_gso_connected",
    "raw_gso_connected",
    "quinn_udp",
    "tokio",
    "dgram_async",
];

/// The way `id` of a workload's JSON.
fn way<'a>(workload: &'a Value, id: &str) -> &'a Value {
    let ways = workload["ways"].as_array().unwrap();
    ways.iter()
        .find(|w| w["id"] == id)
        .unwrap_or_else(|| panic!("no way {id}: {workload}"))
}

/// The field `key` of every element of the array `list`, in order.
fn each<'a>(list: &'a Value, key: &str) -> Vec<&'a str> {
    let list = list.as_array().unwrap();
    list.iter().map(|x| x[key].as_str().unwrap()).collect()
}

/// What a way's ratios are compared with, in order.
fn vs(way: &Value) -> Vec<&str> {
    each(&way["ratios"], "vs")
}

/// Checks one ratio of a run of `rounds` rounds: one per round, each finite and positive, and the
/// value their median, between the lowest and the highest.
fn check_ratio(r: &Value, rounds: usize) {
    let mut each: Vec<f64> = r["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(each.len(), rounds, "{r}");
    assert!(each.iter().all(|x| x.is_finite() && *x > 0.0), "{r}");
    each.sort_by(f64::total_cmp);
    let median = if rounds % 2 == 1 {
        each[rounds / 2]
    } else {
        (each[rounds / 2 - 1] + each[rounds / 2]) / 2.0
    };
    // Equal to the last bits a float sum and a JSON round trip can move.
    let got = [&r["low"], &r["value"], &r["high"]].map(|x| x.as_f64().unwrap());
    let want = [each[0], median, each[rounds - 1]];
    assert!(
        got.iter()
            .zip(want)
            .all(|(g, w)| (g - w).abs() <= 1e-12 * w.abs()),
        "{r}: {got:?} != {want:?}"
    );
}

#[test]
fn lockstep_is_the_default_and_its_json_accounts_for_everything() {
    let v = bench_json(&["--secs", "0.3", "--rounds", "3", "--size", "1200"]);
    assert_eq!(
        (&v["socket"], &v["lockstep"], &v["rounds"]),
        (&"udp".into(), &true.into(), &3.into())
    );
    let w = v["workloads"].as_array().unwrap();
    assert_eq!(
        each(&v["workloads"], "workload"),
        ["oneway_1200", "pingpong_1200"]
    );
    let one_way = &w[0];
    assert_eq!(each(&one_way["ways"], "id"), ONE_WAY);
    let turns = way(one_way, "std")["turns"].as_u64().unwrap();
    // every round gives every way one turn at least
    assert!(turns >= 3, "{one_way}");
    for id in ONE_WAY {
        let way = way(one_way, id);
        let received = way["received"].as_u64().unwrap();
        assert!(received > 0, "{way}");
        assert_eq!(way["bytes"].as_u64().unwrap(), received * 1200, "{way}");
        assert_eq!(
            way["sent"].as_u64().unwrap(),
            received + way["lost"].as_u64().unwrap(),
            "{way}"
        );
        // a datagram not received is one the kernel counted as dropped: none is still in flight
        assert_eq!(way["lost"], way["kernel_drops"], "{way}");
        // the ways take turns: each has as many, and each turn lasts a quantum (1 ms) at least
        assert_eq!(way["turns"], turns, "{way}");
        assert!(
            way["secs"].as_f64().unwrap() >= turns as f64 * 1e-3,
            "{way}"
        );
        for r in way["ratios"].as_array().unwrap() {
            check_ratio(r, 3);
        }
    }
    // each way against the one asking the kernel for the same, and the GSO ways against quinn-udp
    assert_eq!(vs(way(one_way, "dgram")), ["std"]);
    assert_eq!(vs(way(one_way, "dgram_batch")), ["raw_batch_senders"]);
    assert_eq!(
        vs(way(one_way, "dgram_batch_without_senders")),
        ["raw_batch"]
    );
    assert_eq!(
        vs(way(one_way, "dgram_gso")),
        ["raw_gso_senders", "quinn_udp"]
    );
    assert_eq!(
        vs(way(one_way, "dgram_gso_without_senders")),
        ["raw_gso", "quinn_udp"]
    );
    assert_eq!(vs(way(one_way, "raw_gso_senders")), ["quinn_udp"]);
    // on a connected socket, against the raw loops that send without an address
    assert_eq!(
        vs(way(one_way, "dgram_batch_connected")),
        ["raw_batch_connected"]
    );
    assert_eq!(
        vs(way(one_way, "dgram_gso_connected")),
        ["raw_gso_connected", "quinn_udp"]
    );
    assert_eq!(vs(way(one_way, "dgram_async")), ["tokio"]);
    assert_eq!(vs(way(one_way, "std")), Vec::<&str>::new());

    // ping-pong: the blocking and async pairs, with round-trip percentiles
    let ping_pong = &w[1];
    for id in ["std", "dgram", "tokio", "dgram_async"] {
        let way = way(ping_pong, id);
        let received = way["received"].as_u64().unwrap();
        assert!(received > 0, "{way}");
        assert_eq!(way["bytes"].as_u64().unwrap(), received * 1200, "{way}");
        let (p50, p99) = (
            way["p50_us"].as_f64().unwrap(),
            way["p99_us"].as_f64().unwrap(),
        );
        assert!(0.0 < p50 && p50 <= p99, "{way}");
        // not in lockstep
        assert_eq!(way["turns"], 0, "{way}");
    }
    assert_eq!(vs(way(ping_pong, "dgram")), ["std"]);
    assert_eq!(vs(way(ping_pong, "dgram_async")), ["tokio"]);
}

#[test]
fn the_table_shows_every_way_beside_its_baselines() {
    // --lockstep names the default
    let table = success(&["--lockstep", "--secs", "0.2", "--rounds", "2"]);
    for needle in [
        "64 B one-way",
        "1200 B one-way",
        "64 B ping-pong",
        "p50/p99",
        "std send_to/recv_from",
        "dgram send_batch/recv_batch",
        "dgram batch without senders",
        "raw sendmmsg/recvmmsg",
        "raw sendmmsg/recvmmsg+senders",
        "dgram GSO/GRO",
        "dgram GSO/GRO without senders",
        "raw UDP_SEGMENT/UDP_GRO",
        "raw UDP_SEGMENT/GRO+senders",
        "dgram batch, connected",
        "raw sendmmsg connected",
        "dgram GSO/GRO, connected",
        "raw UDP_SEGMENT connected",
        "vs raw_batch_connected",
        "vs raw_gso_connected",
        "quinn-udp GSO/GRO",
        "tokio::net::UdpSocket",
        "vs std",
        "vs raw_batch\n",
        "vs raw_batch_senders",
        "vs raw_gso,",
        "vs raw_gso_senders",
        "vs quinn_udp",
        "dgram tokio send/recv_batch",
        "dgram tokio GSO/GRO",
        "vs dgram_batch",
        "vs dgram_gso",
        "vs tokio",
    ] {
        assert!(table.contains(needle), "missing {needle}: {table}");
    }
}

#[test]
fn threaded_runs_each_way_alone() {
    let v = bench_json(&[
        "--threaded",
        "--secs",
        "0.2",
        "--rounds",
        "1",
        "--size",
        "100",
    ]);
    assert_eq!(v["lockstep"], false);
    let w = v["workloads"].as_array().unwrap();
    assert_eq!(
        each(&v["workloads"], "workload"),
        ["oneway_100", "pingpong_100"]
    );
    assert_eq!(each(&w[0]["ways"], "id"), ONE_WAY);
    for way in w[0]["ways"].as_array().unwrap() {
        assert!(way["received"].as_u64().unwrap() > 0, "{way}");
        assert_eq!(way["turns"], 0, "{way}");
        let id = way["id"].as_str().unwrap();
        if !id.contains("tokio") && id != "dgram_async" {
            // every datagram not received was dropped by the kernel for a full buffer, and it says so
            assert_eq!(way["lost"], way["kernel_drops"], "{way}");
        }
        for r in way["ratios"].as_array().unwrap() {
            check_ratio(r, 1);
        }
    }
    assert_eq!(
        vs(way(&w[0], "dgram_gso")),
        ["raw_gso_senders", "quinn_udp"]
    );
}

#[test]
fn ways_measures_only_the_ways_named() {
    let v = bench_json(&[
        "--ways",
        "dgram_gso,raw_gso_senders",
        "--secs",
        "0.2",
        "--rounds",
        "2",
        "--size",
        "64",
    ]);
    // ping-pong has neither way, so only the one-way workload is left
    let workloads = v["workloads"].as_array().unwrap();
    assert_eq!(workloads.len(), 1, "{v}");
    let ways = workloads[0]["ways"].as_array().unwrap();
    assert_eq!(
        each(&workloads[0]["ways"], "id"),
        ["dgram_gso", "raw_gso_senders"]
    );
    // a ratio only against a baseline that was measured
    assert_eq!(vs(&ways[0]), ["raw_gso_senders"]);
    check_ratio(&ways[0]["ratios"][0], 2);
    assert!(
        ways.iter().all(|w| w["received"].as_u64().unwrap() > 0),
        "{ways:?}"
    );
    assert_eq!(ways[0]["turns"], ways[1]["turns"], "{ways:?}");

    let out = dgram_bench(&["--ways", "dgram,nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no way is called \"nope\""), "{err}");
    assert!(
        err.contains("raw_batch_senders"),
        "it lists the ways: {err}"
    );
}

#[test]
fn unix_json() {
    let v = bench_json(&["--unix", "--secs", "0.1", "--rounds", "2", "--size", "64"]);
    assert_eq!(v["socket"], "unix");
    assert_eq!(v["baseline"], "std::os::unix::net::UnixDatagram");
    let rows = v["workloads"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{v}");
    for row in rows {
        assert_eq!(row["rounds"], 2, "{row}");
        for side in ["dgram", "std"] {
            // Unix datagrams are never dropped: the sender waits for room
            assert_eq!(row[side]["lost"], 0, "{row}");
            assert!(row[side]["received"].as_u64().unwrap() > 0, "{row}");
        }
        let ratio = row["ratio"].as_f64().unwrap();
        assert!(ratio.is_finite() && ratio > 0.0, "{row}");
    }
}

#[test]
fn async_json() {
    let v = bench_json(&["--async", "--secs", "0.1", "--rounds", "2", "--size", "64"]);
    assert_eq!(
        (v["socket"].as_str(), v["baseline"].as_str()),
        (Some("udp-async"), Some("tokio::net::UdpSocket"))
    );
    for row in v["workloads"].as_array().unwrap() {
        assert_eq!(row["rounds"], 2, "{row}");
        assert!(row["dgram"]["received"].as_u64().unwrap() > 0, "{row}");
        assert!(row["std"]["received"].as_u64().unwrap() > 0, "{row}");
        let ratio = row["ratio"].as_f64().unwrap();
        assert!(ratio.is_finite() && ratio > 0.0, "{row}");
    }
}

#[test]
fn errors_are_one_line_and_nonzero() {
    let cases: [(&[&str], &str); 3] = [
        // each round costs set-up whatever --secs says: bounded
        (&["--rounds", "4000000000"], "--rounds must be 1..=1000"),
        // a round too short to measure anything
        (&["--secs", "1e-9", "--rounds", "10"], "under 1 ms a round"),
        (&["--size", "70000"], "--size must be 1..=65507 bytes"),
    ];
    for (args, needle) in cases {
        let out = dgram_bench(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("dgram-bench: ") && err.contains(needle),
            "{args:?}: {err}"
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), "", "{args:?}");
    }
}

#[test]
fn flags_that_measure_different_things_conflict() {
    // lockstep and --ways are for the UDP table only; --unix and --async are different comparisons
    for args in [
        &["--lockstep", "--unix"][..],
        &["--lockstep", "--threaded"],
        &["--threaded", "--async"],
        &["--ways", "dgram", "--unix"],
        &["--unix", "--async"],
    ] {
        let out: Output = dgram_bench(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("cannot be used with"),
            "{args:?}"
        );
    }
}
