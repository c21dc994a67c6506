#!/usr/bin/env bash
# Runs our F32 GEMM (minitron bench gemm) and numpy's (OpenBLAS) in the same script, for n in $SIZES with all
# threads and with one thread, $ROUNDS alternating rounds each; prints a markdown table of the medians.
#
# Fairness to the peer: this machine's environment may set OPENBLAS_CORETYPE (and OPENBLAS_L2_SIZE) for old
# OpenBLAS builds, which can select a slower kernel. Each numpy measurement is taken in three settings -- the
# environment as it is, OPENBLAS_CORETYPE=SkylakeX, and both variables unset (OpenBLAS detects the CPU) -- and the
# fastest counts; the table names the core type it ran.
#
# Usage: scripts/bench-gemm.sh            (env: SIZES="1024 2048" ROUNDS=3 REPEATS=10 PYTHON=/usr/bin/python3
#                                           GEMV=1 (the default) also runs the decode GEMV bandwidth table, GEMV=0 skips it)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
SIZES=${SIZES:-"1024 2048"}
ROUNDS=${ROUNDS:-3}
REPEATS=${REPEATS:-10}
PYTHON=${PYTHON:-/usr/bin/python3}
GEMV=${GEMV:-1}
all_threads=$(nproc)
results=$(mktemp)
trap 'rm -f "$results"' EXIT

./minitron --version >/dev/null 2>&1 || ./minitron --version # builds the jar if needed

numpy_best() { # n threads -> the JSON line of the fastest of the three OpenBLAS settings
  local n=$1 t=$2 best="" line
  for setting in env skylakex detect; do
    case $setting in
      env) line=$(OPENBLAS_NUM_THREADS=$t "$PYTHON" reference/bench_gemm_numpy.py --n "$n" --repeats "$REPEATS" 2>/dev/null | tail -n 1) ;;
      skylakex) line=$(OPENBLAS_NUM_THREADS=$t OPENBLAS_CORETYPE=SkylakeX "$PYTHON" reference/bench_gemm_numpy.py --n "$n" --repeats "$REPEATS" 2>/dev/null | tail -n 1) ;;
      detect) line=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=$t "$PYTHON" reference/bench_gemm_numpy.py --n "$n" --repeats "$REPEATS" 2>/dev/null | tail -n 1) ;;
    esac
    echo "numpy $setting n=$n threads=$t: $line" >&2
    best=$(printf '%s\n%s\n' "$best" "$line" | "$PYTHON" -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
print(json.dumps(max(rows, key=lambda r: r["gflops"])))')
  done
  echo "$best"
}

for n in $SIZES; do
  for t in "$all_threads" 1; do
    for round in $(seq 1 "$ROUNDS"); do
      ours=$(./minitron bench gemm --n "$n" --threads "$t" --repeats "$REPEATS" --json 2>/dev/null | tail -n 1)
      echo "ours n=$n threads=$t round=$round: $ours" >&2
      peer=$(numpy_best "$n" "$t")
      echo "{\"n\": $n, \"threads\": $t, \"round\": $round, \"ours\": $ours, \"peer\": $peer}" >> "$results"
    done
  done
done

echo
echo "F32 GEMM, GFLOPS (median of $ROUNDS rounds, each the median of $REPEATS calls; best-call ratio: fastest"
echo "single call of ours over fastest of the peer's); $(lscpu | sed -n 's/^Model name: *//p'), $all_threads cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$PYTHON" - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("| n | threads | ours (Vector API) | OpenBLAS (numpy) | OpenBLAS core | ours / OpenBLAS | per-round ratios | best-call ratio | cpu/wall ours, peer |")
print("|---|---|---|---|---|---|---|---|---|")
keys = []
for r in rows:
    if (r["n"], r["threads"]) not in keys:
        keys.append((r["n"], r["threads"]))
def best(side, n):  # GFLOPS of the fastest single call
    return 2.0 * n ** 3 / (side["min_ms"] * 1e6)
for n, t in keys:
    group = [r for r in rows if r["n"] == n and r["threads"] == t]
    ours = statistics.median(r["ours"]["gflops"] for r in group)
    peer = statistics.median(r["peer"]["gflops"] for r in group)
    cores = sorted({r["peer"]["coretype"] or "?" for r in group})
    ratios = ", ".join(f'{r["ours"]["gflops"] / r["peer"]["gflops"]:.2f}' for r in group)
    best_ratio = max(best(r["ours"], n) for r in group) / max(best(r["peer"], n) for r in group)
    known = lambda v: float("nan") if v is None else v   # null: a run too short to measure
    cpu_ours = statistics.median(known(r["ours"].get("cpu_per_wall")) for r in group)
    cpu_peer = statistics.median(known(r["peer"].get("cpu_per_wall")) for r in group)
    print(f"| {n} | {t} | {ours:.1f} | {peer:.1f} | {'/'.join(cores)} | {ours / peer:.2f} | {ratios} | {best_ratio:.2f} | {cpu_ours:.2f}, {cpu_peer:.2f} |")
PY

if [ "$GEMV" = 1 ]; then
  echo
  echo "Decode GEMV, x (1, K) @ W^T with W (rows, K) BF16 off-heap; medians of 9 interleaved rounds"
  echo
  echo "| W | threads | weights GB/s | copy GB/s (read + write) | weights / copy | read-only GB/s | weights / read | cpu/wall |"
  echo "|---|---|---|---|---|---|---|---|"
  # the issue's shapes: 4096 -> 4096, 4096 -> 14336 (gate/up) and 14336 -> 4096 (down)
  for shape in "4096 4096" "14336 4096" "4096 14336"; do
    read -r rows cols <<<"$shape"
    for t in "$all_threads" 1; do
      line=$(./minitron bench gemv --rows "$rows" --cols "$cols" --dtype bf16 --threads "$t" --json 2>/dev/null | tail -n 1)
      echo "gemv rows=$rows cols=$cols threads=$t: $line" >&2
      echo "$line" | "$PYTHON" -c '
import json, sys
r = json.loads(sys.stdin.read())
r["cpu_per_wall"] = float("nan") if r.get("cpu_per_wall") is None else r["cpu_per_wall"]
print("| ({rows}, {cols}) | {threads} | {weight_gbs:.1f} | {copy_gbs:.1f} | {ratio:.2f} | {read_gbs:.1f} | {read_ratio:.2f} | {cpu_per_wall:.2f} |".format(**r))'
    done
  done
fi
