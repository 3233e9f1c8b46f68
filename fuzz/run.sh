#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time each and fails on any crash.
#
#   bash fuzz/run.sh [SECONDS-PER-TARGET]      (default 20; .ci/run uses 20)
#
# Each target starts from its committed seeds (fuzz/corpus/<target>/, read only: what a run finds goes
# to a scratch corpus under fuzz/target/) and runs under the address sanitizer with debug assertions
# (overflow checks) on. A crash leaves its input in fuzz/artifacts/<target>/ and the command that
# replays it is printed. cargo-fuzz needs nightly features: RUSTC_BOOTSTRAP=1 lets the stable
# toolchain provide them. cargo-fuzz itself is installed (cargo install --locked) if missing.
set -euo pipefail
cd "$(dirname "$0")"

secs="${1:-20}"
case "$secs" in
  '' | *[!0-9]*) echo "usage: bash fuzz/run.sh [SECONDS-PER-TARGET]" >&2; exit 2 ;;
esac
export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR=never

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: cargo-fuzz is missing; installing it from crates.io"
  cargo install cargo-fuzz --locked
fi

# The same flags for the build and every run, so that `cargo fuzz run` does not build again.
build_flags=(--debug-assertions --sanitizer address)

targets=$(cargo fuzz list)
echo "fuzz: building $(echo $targets | wc -w) targets ($(echo $targets))"
start=$(date +%s)
cargo fuzz build "${build_flags[@]}"
echo "fuzz: built in $(( $(date +%s) - start )) s; running each for ${secs} s"

scratch=target/fuzz-run
rm -rf "$scratch"
mkdir -p "$scratch"
failed=()
summary=()
for t in $targets; do
  corpus=("$scratch/corpus-$t")
  mkdir -p "${corpus[0]}"
  if [ -d "corpus/$t" ]; then
    corpus+=("corpus/$t")
  fi
  log="$scratch/$t.log"
  echo "== $t (seeds: $( [ -d "corpus/$t" ] && ls "corpus/$t" | wc -l || echo 0))"
  status=0
  # -timeout: an input that runs 10 s is a hang, reported as a crash.
  cargo fuzz run "${build_flags[@]}" "$t" "${corpus[@]}" -- \
    -max_total_time="$secs" -timeout=10 -print_final_stats=1 >"$log" 2>&1 || status=$?
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(echo "$done_line" | sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\).*/cov \1 ft \2/p')
  echo "   ${done_line:-no DONE line}"
  echo "   stat::number_of_executed_units: ${execs:-?}"
  if [ "$status" -ne 0 ] || [ -z "$done_line" ]; then
    echo "   FAILED (exit $status); from its log ($log):"
    # The panic or sanitizer report, the saved input and the command that replays it; else the end.
    report=$({
      grep -m 1 -A 3 'panicked at' "$log"
      grep -m 1 -A 5 -E '^==[0-9]+== ?ERROR' "$log"
      grep -E '^SUMMARY|Test unit written to|^[[:space:]]+cargo fuzz run' "$log"
    } || true)
    if [ -z "$report" ]; then
      report=$(tail -n 25 "$log")
    fi
    echo "$report" | sed 's/^/   | /'
    failed+=("$t")
    summary+=("$(printf '%-16s %12s executions  %s  FAILED' "$t" "${execs:-?}" "${cov:-}")")
  else
    summary+=("$(printf '%-16s %12s executions  %s' "$t" "$execs" "$cov")")
  fi
done

echo "== fuzz summary (${secs} s per target, $(( $(date +%s) - start )) s in all)"
printf '   %s\n' "${summary[@]}"
if [ "${#failed[@]}" -ne 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in fuzz/artifacts/<target>/; replay one with" \
    "RUSTC_BOOTSTRAP=1 cargo fuzz run ${build_flags[*]} <target> <file>)"
  exit 1
fi
echo "fuzz: no crash"
