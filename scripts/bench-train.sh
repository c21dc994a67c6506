#!/usr/bin/env bash
# Runs `minitron bench train` and reference/bench_train_torch.py (PyTorch CPU, same model and step) one after the
# other with the same thread count and batch, and prints both tokens/s and the ratio minitron / torch.
# Usage: scripts/bench-train.sh [THREADS] [STEPS]     (defaults: 2 threads, 5 timed steps)
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${1:-2}
STEPS=${2:-5}
java_json=$(./minitron bench train --model bench-train --batch 8 --seq 256 --steps "$STEPS" --threads "$THREADS" \
  --json 2>/dev/null | tail -n 1)
torch_json=$(OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 reference/bench_train_torch.py --batch 8 --seq 256 \
  --steps "$STEPS" --threads "$THREADS" | tail -n 1)
/usr/bin/python3 - "$java_json" "$torch_json" <<'PY'
import json, sys
j, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"minitron: {j['tokens_per_s']:,.0f} tokens/s (median step {j['median_step_s']:.3f} s, {j['parameters']:,} params)")
print(f"pytorch:  {t['tokens_per_s']:,.0f} tokens/s (median step {t['median_step_s']:.3f} s, {t['parameters']:,} params, torch {t['torch']})")
print(f"ratio minitron / pytorch: {j['tokens_per_s'] / t['tokens_per_s']:.2f}x")
PY
