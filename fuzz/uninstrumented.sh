#!/bin/sh
# rustc wrapper for the fuzz build (fuzz/.cargo/config.toml): compiles csv-core without cargo-fuzz's
# coverage instrumentation, every other crate as cargo-fuzz asks.
#
# Why: csv-core builds its parsing automaton (a DFA over 256 bytes per state) every time a CSV reader
# is created, and tp-io creates two per read (the inference pass and the typed pass). Instrumented,
# with a coverage counter and a comparison hook on every step of that input-independent loop, the
# build took ~80% of the csv_reader target's time (perf: ReaderBuilder::build and
# __sanitizer_cov_trace_cmp*), for 550 executions a second. The same code runs uninstrumented; what
# is lost is coverage feedback from inside csv-core's lexer (tp-io's own code, and the csv crate's
# record handling around csv-core, stay instrumented).
rustc="$1"
shift
case " $* " in
*" --crate-name csv_core "*)
    for a do
        shift
        case "$a" in
        -Cpasses=sancov-module | -Cllvm-args=-sanitizer-coverage-*) ;;
        *) set -- "$@" "$a" ;;
        esac
    done
    ;;
esac
exec "$rustc" "$@"
