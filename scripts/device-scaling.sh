#!/bin/bash
# Scaling past 2 cores: every executor at -j 1..16 on the same data, on the lent 16-core machine.
set -u
OUT=${OUT:-/tmp/device-out}; mkdir -p $OUT
B=$PWD/target/release/logcount
# EXECUTORS=threads,procpool-fork to measure only some; JOBS for other worker counts.
E=${EXECUTORS:+-e $EXECUTORS}
J=${JOBS:-1,2,4,8,16}
D=/tmp/bd
nproc; lscpu | grep -E "Model name|^CPU\(s\)|L3"; free -g | head -2
$B gen $D/eight --files 8 --lines 1000000 --seed 5 --force 2>&1 | tail -1
$B gen $D/big1g --files 1 --lines 7000000 --seed 3 --force 2>&1 | tail -1
cat $D/eight/* $D/big1g/* > /dev/null
for i in 1 2 3 4 5; do
  s=$(date +%s%N); wc -l $D/eight/* > /dev/null; e=$(date +%s%N)
  echo "wc -l eight: $(( (e - s) / 1000000 )) ms"
done
timeout 250 $B bench $D/eight $E -j $J --runs 5 --format json --plot $OUT/eight.svg > $OUT/eight.json 2> $OUT/eight.err; echo "eight rc $?"
timeout 120 $B bench $D/big1g ${E:--e serial,threads,async,procpool-fork} -j $J --runs 5 --format json --plot $OUT/big1g.svg > $OUT/big1g.json 2> $OUT/big1g.err; echo "big1g rc $?"
# Maps against reads at full width (page faults, MADV_DONTNEED and munmap cost more with more threads).
for i in 1 2 3 4 5; do
  for m in "" "--no-mmap"; do
    s=$(date +%s%N); $B $D/eight -q --json -j 16 $m > /dev/null; e=$(date +%s%N)
    echo "threads -j 16 ${m:-maps}: $(( (e - s) / 1000000 )) ms"
  done
done
