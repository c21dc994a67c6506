#!/bin/sh
# The pruning experiment of docs/prune.md on the small Brown-trained model of TrainTinyTeacher.java:
# importance-guided vs random width pruning to the same shapes, random initialization, and the depth scans.
# Usage: [SEQ=64] [DEPTH=2] compress/scripts/prune-experiment.sh WORK_DIR   (from the repository root, after
# ./mvnw package -DskipTests). WORK_DIR/teacher is the model (trained by TrainTinyTeacher.java when missing).
# Shapes are fractions: hidden 0.5, MLP 0.5, heads 1/3, and all three at 2/3, 1/2, 2/3.
set -eu
work=${1:-/tmp/prune-exp}
seq=${SEQ:-64}
depth=${DEPTH:-2}
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/find-jdk.sh"
java="$JAVA_HOME/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp $root/cli/target/minitron.jar"
teacher=$work/teacher
if [ ! -f "$teacher/config.json" ]; then
  $java "$root/compress/scripts/TrainTinyTeacher.java" "$teacher" \
    "$root/transformer/src/test/resources/golden/bpe-brown-pretrain-val-1024" 420
fi
mt="$root/minitron"
"$mt" importance --overwrite --model "$teacher" --data brown:pretrain --samples 256 --seq-len $seq --batch 16 --out "$work/importance"
models=""
for shape in "hidden:--hidden-size 0.5" "mlp:--intermediate-size 0.5" "heads:--num-attention-heads 0.34" \
             "all:--hidden-size 0.666 --intermediate-size 0.5 --num-attention-heads 0.666"; do
  name=${shape%%:*}; opts=${shape#*:}
  "$mt" prune --overwrite --model "$teacher" --importance "$work/importance" $opts --out "$work/$name-importance"
  for seed in 1 2 3; do
    "$mt" prune --overwrite --model "$teacher" --baseline random --seed $seed $opts --out "$work/$name-random$seed" > /dev/null
  done
  "$mt" prune --overwrite --model "$teacher" --baseline random-init $opts --out "$work/$name-init" > /dev/null
  models="$models $work/$name-importance $work/$name-random1 $work/$name-random2 $work/$name-random3 $work/$name-init"
done
# aggregation ablation (docs/prune.md): the other three sequence-batch reductions, same shapes
for agg in mean-mean l2-l2 l2-mean; do
  "$mt" importance --overwrite --model "$teacher" --data brown:pretrain --samples 256 --seq-len $seq --batch 16 \
    --aggregation $agg --out "$work/importance-$agg" > /dev/null
  "$mt" prune --overwrite --model "$teacher" --importance "$work/importance-$agg" --hidden-size 0.5 --out "$work/hidden-$agg" > /dev/null
  "$mt" prune --overwrite --model "$teacher" --importance "$work/importance-$agg" --hidden-size 0.666 --intermediate-size 0.5 \
    --num-attention-heads 0.666 --out "$work/all-$agg" > /dev/null
  models="$models $work/hidden-$agg $work/all-$agg"
done
$java "$root/compress/scripts/ValLoss.java" brown:pretrain-val $seq 256 "$teacher" $models
# prune refuses the options a metric does not read: --data, --samples, --seq-len, --batch for loss and bi only,
# --task-limit for task only
for metric in loss bi; do
  "$mt" prune --overwrite --model "$teacher" --data brown:pretrain-val --depth $depth --metric $metric --samples 64 --seq-len $seq \
    --batch 16 --out "$work/depth-$metric"
done
"$mt" prune --overwrite --model "$teacher" --depth $depth --metric task --task-limit 300 --out "$work/depth-task"
for metric in loss bi; do
  "$mt" prune --overwrite --model "$teacher" --data brown:pretrain-val --depth $depth --metric $metric --non-contiguous --samples 64 \
    --seq-len $seq --batch 16 --out "$work/depth-$metric-noncontiguous" | grep removing
done
$java "$root/compress/scripts/ValLoss.java" brown:pretrain-val $seq 256 "$work/depth-loss" "$work/depth-bi" \
  "$work/depth-task" "$work/depth-loss-noncontiguous" "$work/depth-bi-noncontiguous"
