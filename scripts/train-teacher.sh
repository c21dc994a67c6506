#!/usr/bin/env bash
# Reproduces the bundled teacher (transformer/src/main/resources/minitron/teacher/): a BPE vocabulary of 2048
# trained on Brown genres A-J, then a Llama-3-shaped model (d=192, 4 layers, 6 heads, 2 KV heads, MLP 512,
# untied head; 2.36M parameters) trained by `minitron train` on genres A-J, validated on held-out A-J samples.
# Then its validation loss on held-out A-J and on held-out K-R beside the unigram baseline.
# Usage: scripts/train-teacher.sh [WORK_DIR]   (default /tmp/minitron-teacher; about 5 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/tmp/minitron-teacher}
DEST=transformer/src/main/resources/minitron/teacher
THREADS=${THREADS:-2}
./minitron --version > /dev/null   # builds cli/target/minitron.jar when missing or older than the sources
. scripts/find-jdk.sh
# A copy of the jar, so that rebuilding the project meanwhile does not pull it from under the running JVM.
mkdir -p "$WORK"
cp cli/target/minitron.jar "$WORK/minitron.jar"
minitron() {
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC \
    -jar "$WORK/minitron.jar" "$@"
}
# WORK is this script's scratch folder: a new run replaces the previous run's outputs there
rm -rf "$WORK/tokenizer" "$WORK/run" "$WORK/evalcache"
minitron tokenizer train --data brown:pretrain --vocab-size 2048 --out "$WORK/tokenizer"
minitron train --model teacher --tokenizer "$WORK/tokenizer" --data brown:pretrain --val-data brown:pretrain-val \
  --seq 128 --batch 16 --accum 1 --steps 1500 --lr 3e-3 --min-lr 3e-4 --warmup 50 --weight-decay 0.1 --clip 1.0 \
  --seed 1234 --eval-every 100 --eval-batches 8 --save-every 250 --keep 2 --threads "$THREADS" \
  --save-dtype bf16 --out "$WORK/run"
mkdir -p "$DEST"
cp "$WORK/run/final/config.json" "$WORK/run/final/model.safetensors" "$WORK/run/final/tokenizer.json" \
   "$WORK/run/final/tokenizer_config.json" "$WORK/run/train_log.jsonl" "$WORK/run/loss_curve.png" "$DEST/"
minitron train eval --model "$DEST" --data brown:pretrain --eval brown:pretrain-val --eval brown:heldout \
  --seq 128 --threads "$THREADS" --cache "$WORK/evalcache" | tee "$DEST/eval.txt"
