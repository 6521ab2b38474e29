#!/bin/bash
# The SHA-256 of every answer/exercise variant the sheetnet in $1 (a checkout) writes: run it before and after a
# change to the writers, and diff the two lists (a writer change must keep every byte, or be judged by LibreOffice).
set -e
REPO=$1; OUT=$(mktemp -d)
cd $OUT
run() { name=$1; shift; PYTHONPATH=$REPO python3 -m sheetnet "$@" -o $OUT/$name.xlsx >/dev/null; }
for p in trained book initial backprop_initial; do run answer-$p answer --params $p; done
run answer-test7 answer --test-image 7
run answer-bp answer --kind backprop
run answer-bp3 answer --kind backprop --iterations 3
run answer-cnn answer --kind cnn
run answer-cnn-init answer --kind cnn --params initial
run answer-cnnbp answer --kind cnn-backprop
run answer-cnnbp2 answer --kind cnn-backprop --iterations 2
run answer-cnnbp50 answer --kind cnn-backprop --iterations 50
run answer-regression answer --kind regression
run answer-descent answer --kind descent
for p in initial book backprop_initial; do run ex-$p exercise --params $p; done
run ex-bp exercise --kind backprop --params backprop_initial
run ex-bp4 exercise --kind backprop --params initial --iterations 4
run ex-cnn exercise --kind cnn
run ex-cnnbp exercise --kind cnn-backprop
run ex-cnnbp3 exercise --kind cnn-backprop --iterations 3
run ex-regression exercise --kind regression
run ex-descent exercise --kind descent
sha256sum *.xlsx
rm -rf $OUT
