#!/usr/bin/env bash
# Runs the adapted HAProxy reg-tests of Tests/RegTests/adapted/ (HAProxy's own tests with a
# part ringproxy cannot take removed, each file's first lines say what) with
# /work/shared/regtests/run.sh, which takes paths relative to the reg-tests tree.
#
#   Tests/RegTests/run-adapted.sh BINARY [adapted/NAME.vtc ...]   (default: all of them)
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: run-adapted.sh BINARY [TEST.vtc ...]}; shift
cache=${REGTESTS_CACHE:-/tmp/regtests-cache}
[ $# -gt 0 ] || set -- "$here"/adapted/*.vtc
tests=()
for t in "$@"; do
  abs=$(realpath "$t")
  # From $cache/haproxy-2.6.12/reg-tests back to the root, then the absolute path.
  up=$(echo "$cache/haproxy-2.6.12/reg-tests" | sed 's#[^/][^/]*#..#g; s#^/##')
  tests+=("$up$abs")
done
exec bash /work/shared/regtests/run.sh "$bin" "${tests[@]}"
