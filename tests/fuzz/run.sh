#!/usr/bin/env bash
# Fuzz one of onekvm's parsers with AFL++ (Debian's afl++) and SharpFuzz. Not part of CI.
#
#   tests/fuzz/run.sh setup                      install afl++ and the sharpfuzz tool (root, Debian)
#   tests/fuzz/run.sh build                      build the fuzz targets and instrument onekvm.dll
#   tests/fuzz/run.sh list                       the targets
#   tests/fuzz/run.sh <target> [seconds] [execs] fuzz one target from tests/fuzz-corpus/<target>/
#                                                (default 1800 s; stops at whichever bound comes first)
#   tests/fuzz/run.sh all [seconds] [lanes]      every target, in that many parallel lanes (default 1), then the summary
#   tests/fuzz/run.sh until <execs> <seconds> <target>...
#                                                the targets one at a time, each until it passes <execs> executions
#                                                (AFL++ -E) or runs <seconds>, then their summary rows
#   tests/fuzz/run.sh summary                    executions, coverage and findings of the last runs
#   tests/fuzz/run.sh replay <target> <file>...  run inputs in-process and print each outcome (triage)
#
# Findings go to $ONEKVM_FUZZ_OUT (default /var/tmp/onekvm-fuzz/<target>/default/{crashes,hangs}); a crash
# is an input that broke the property (FuzzProperty): an exception other than the one-sentence failure, or
# memory past the bound. A hang is an input that ran longer than $ONEKVM_FUZZ_TIMEOUT_MS (default 2000).
# Every crash becomes a regression spec; FuzzCorpusSpecs feeds the corpus through the same property in CI.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${ONEKVM_FUZZ_OUT:-/var/tmp/onekvm-fuzz}
BUILD="$OUT/build"
TIMEOUT_MS=${ONEKVM_FUZZ_TIMEOUT_MS:-2000}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 PATH="$PATH:$HOME/.dotnet/tools"

DICTS=/usr/share/doc/afl++-doc/afl/dictionaries

log() { printf '==> %s\n' "$*" >&2; }

# AFL++'s dictionaries (afl++-doc) for the format, and tests/fuzz/dict/<target>.dict for onekvm's own tokens
dictionaries() {
  local generic
  case $1 in
    kvmrc) generic=bash ;;
    action-data|deploy-xml|dumpxml|snapshot-xml|save-image-xml) generic=xml ;;
    qemu-img-info) generic=json ;;
    probe-yaml|forecast-settings|probe-db-settings|guest-agent-config) generic=yaml ;;
  esac
  [[ -n "${generic:-}" && -f "$DICTS/$generic.dict" ]] && printf -- '-x\n%s\n' "$DICTS/$generic.dict"
  [[ -f "$ROOT/tests/fuzz/dict/$1.dict" ]] && printf -- '-x\n%s\n' "$ROOT/tests/fuzz/dict/$1.dict"
  return 0
}

setup() {
  apt-get -o DPkg::Lock::Timeout=900 install -y afl++ afl++-doc
  command -v sharpfuzz >/dev/null || dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0
}

build() {
  command -v afl-fuzz >/dev/null && command -v sharpfuzz >/dev/null || { echo "afl++ or sharpfuzz missing: tests/fuzz/run.sh setup" >&2; exit 1; }
  log "building the fuzz targets into $BUILD"
  rm -rf "$BUILD"
  dotnet publish "$ROOT/tests/OneKvm.Remotes.Fuzz/OneKvm.Remotes.Fuzz.csproj" -c Release -o "$BUILD" -nologo -clp:NoSummary >&2
  # replay runs the plain copy: instrumented code needs AFL's shared memory
  rm -rf "$OUT/plain" && cp -a "$BUILD" "$OUT/plain"
  log "instrumenting onekvm.dll"
  # only onekvm's own code: the coverage AFL++ steers by is the parsers', not the runtime's
  sharpfuzz "$BUILD/onekvm.dll" >&2
}

targets() { dotnet "$BUILD/OneKvm.Remotes.Fuzz.dll" --list | awk '{print $1}'; }

fuzz() {
  local target=$1 seconds=${2:-1800} execs=${3:-} corpus="$ROOT/tests/fuzz-corpus/$1"
  [[ -f "$BUILD/onekvm.dll" ]] || build
  [[ -d "$corpus" ]] || { echo "no corpus at $corpus" >&2; exit 1; }
  rm -rf "${OUT:?}/$target"
  mkdir -p "$OUT/$target"
  local dicts
  mapfile -t dicts < <(dictionaries "$target")
  log "fuzzing $target for ${seconds}s${execs:+ or $execs executions} (findings in $OUT/$target)"
  # the target process is dotnet (not compiled with afl's compiler); one core per run, not pinned
  AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    afl-fuzz -i "$corpus" -o "$OUT/$target" -t "$TIMEOUT_MS" -m none -V "$seconds" ${execs:+-E "$execs"} "${dicts[@]}" \
    -- dotnet "$BUILD/OneKvm.Remotes.Fuzz.dll" "$target" > "$OUT/$target.log" 2>&1 || {
      tail -n 30 "$OUT/$target.log" >&2; return 1; }
  summary_row "$target"
}

summary_row() {
  local target=$1 stats="$OUT/$1/default/fuzzer_stats"
  [[ -f "$stats" ]] || { printf '| %s | no run |\n' "$target"; return; }
  local get; get() { sed -n "s/^$1 *: //p" "$stats"; }
  local run=$(( $(get last_update) - $(get start_time) ))
  printf '| %s | %s | %s | %s | %s (%s) | %s | %s | %s |\n' "$target" "$run" "$(get execs_done)" "$(get execs_per_sec)" \
    "$(get edges_found)" "$(get bitmap_cvg)" "$(get corpus_count)" "$(get saved_crashes)" "$(get saved_hangs)"
}

summary() {
  echo '| target | seconds | executions | execs/s | edges (map) | corpus | crashes | hangs |'
  echo '| --- | --- | --- | --- | --- | --- | --- | --- |'
  local t
  for t in $(targets); do summary_row "$t"; done
}

case "${1:-}" in
  setup) setup ;;
  build) build ;;
  list) [[ -f "$BUILD/onekvm.dll" ]] || build; dotnet "$BUILD/OneKvm.Remotes.Fuzz.dll" --list ;;
  summary) summary ;;
  all) [[ -f "$BUILD/onekvm.dll" ]] || build
    lanes=${3:-1} i=0
    mapfile -t all < <(targets)
    for ((lane = 0; lane < lanes; lane++)); do
      ( for ((i = lane; i < ${#all[@]}; i += lanes)); do fuzz "${all[i]}" "${2:-1800}" || true; done ) &
    done
    wait
    summary ;;
  replay) shift; [[ -f "$OUT/plain/onekvm.dll" ]] || build; dotnet "$OUT/plain/OneKvm.Remotes.Fuzz.dll" "$@" ;;
  until) [[ $# -ge 4 ]] || { echo "usage: $0 until <execs> <seconds> <target>..." >&2; exit 2; }
    execs=$2 seconds=$3; shift 3
    [[ -f "$BUILD/onekvm.dll" ]] || build
    for t in "$@"; do fuzz "$t" "$seconds" "$execs" || true; done
    for t in "$@"; do summary_row "$t"; done ;;
  ''|-h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) fuzz "$@" ;;
esac
