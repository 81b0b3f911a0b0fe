#!/usr/bin/env bash
# Builds switchboard's libFuzzer targets and runs each for a while.
#   bash tests/fuzz/run.sh [SECONDS_PER_TARGET=60] [TARGET...]
# TARGET: websocket_frame sse_parser session_frame post_body http_request helpers
# (all by default). Installs Clang and libFuzzer when missing (Debian packages),
# configures tests/fuzz as a project of its own in build/fuzz, and runs each target on
# a copy of its seed corpus (new inputs go to build/fuzz/corpus/<target>, never into
# the source tree). Prints each target's executions and whether it crashed; exits
# non-zero if any did, keeping the crash input (its path is printed).
# Distributed under the Boost Software License, Version 1.0.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-60}"
shift || true
all=(websocket_frame sse_parser session_frame post_body http_request helpers)
targets=("$@")
((${#targets[@]})) || targets=("${all[@]}")
build=build/fuzz

apt_install() { # packages...
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "installing: $*"
    $sudo apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "$@" >/dev/null
}
missing=()
for p in clang cmake ninja-build libboost1.81-dev nlohmann-json3-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) || apt_install "${missing[@]}"
# libFuzzer's runtime (and the symbolizer for readable stacks) come with packages that
# clang only recommends: libclang-rt-N-dev and llvm-N, N being Clang's major version.
major="$(clang++ -dumpversion | cut -d. -f1)"
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' >"$probe/p.cpp"
extra=()
clang++ -fsanitize=fuzzer "$probe/p.cpp" -o "$probe/p" 2>/dev/null || extra+=("libclang-rt-$major-dev")
command -v llvm-symbolizer >/dev/null || command -v "llvm-symbolizer-$major" >/dev/null || extra+=("llvm-$major")
((${#extra[@]} == 0)) || apt_install "${extra[@]}"
clang++ -fsanitize=fuzzer "$probe/p.cpp" -o "$probe/p" || { echo "clang++ -fsanitize=fuzzer does not link" >&2; exit 1; }
symbolizer="$(command -v llvm-symbolizer || command -v "llvm-symbolizer-$major")"

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
CC=clang CXX=clang++ cmake -S tests/fuzz -B "$build" -G Ninja "${launcher[@]}" >/dev/null
nice -n 19 cmake --build "$build" -j2 --target "${targets[@]/#/switchboard_fuzz_}"

# Two targets at a time (one core each): the same executions per target in half the time.
run_one() { # target -> its result line in $build/$t.result; non-zero if it crashed
    local t=$1 corpus="$build/corpus/$1" artifacts="$build/artifacts/$1/" log="$build/$1.log" rc runs crash
    mkdir -p "$corpus" "$artifacts"
    cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
    set +e
    ASAN_SYMBOLIZER_PATH="$symbolizer" UBSAN_OPTIONS=print_stacktrace=1 "$build/switchboard_fuzz_$t" "$corpus" -max_total_time="$seconds" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts" >"$log" 2>&1
    rc=$?
    set -e
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    [ -n "$runs" ] || runs="$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')"
    if ((rc == 0)); then
        echo "$t: ${runs:-?} executions, no crash" >"$build/$t.result"
        return 0
    fi
    crash="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)"
    {
        echo "$t: CRASHED after ${runs:-?} executions (exit $rc); input: ${crash:-none written}; log: $log"
        grep -m1 -E "ERROR: |invariant violated|runtime error|terminate called" "$log" | sed 's/^/  /' || true
    } >"$build/$t.result"
    return 1
}

failed=0
for ((i = 0; i < ${#targets[@]}; i += 2)); do
    pids=()
    for t in "${targets[@]:i:2}"; do
        run_one "$t" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || failed=1; done
done
for t in "${targets[@]}"; do cat "$build/$t.result"; done
exit "$failed"
