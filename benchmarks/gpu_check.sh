#!/usr/bin/env bash
# The GPU check of the harness, in one go on one CUDA machine (an H200 here), in under 8 minutes:
#   1. the gpu-marked tests (CUDA training path, resume, no host syncs, compile, 4-D mask),
#   2. the bf16 matmul ceiling and training throughput of an XLM-R-Large-shaped encoder (ours, ours with compiled
#      layers, transformers.Trainer defaults; same model, data and GPU; one run) with a profile of our step,
#   3. the synthetic-world replication end to end on CUDA (results JSON with tokens/s, MFU, peak memory),
#   4. with the time left, a sweep of our step over larger batches (ours only).
# Everything it writes lands in one folder: $OUT when set (the device tool's), else ./gpu-check-out.
#
#   bash benchmarks/gpu_check.sh [CPU_REFERENCE.json]
#
# The CPU side of the comparison in 3. is made where CPU time is cheap, with the same generator version:
#   python benchmarks/synthetic_replication.py --device cpu --out cpu.json
#   python benchmarks/synthetic_replication.py --recompare OUT/synthetic_cuda.json cpu.json
# (or pass cpu.json as the script's argument to compare on the device).
# Python packages the machine lacks (seqeval, for the tagging metric) can travel as wheels in .whl/.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/gpu-check-out}"
mkdir -p "$OUT"
START=$(date +%s)
BUDGET=${GPU_CHECK_BUDGET:-470}   # seconds for the whole script
left() { echo $(( BUDGET - ($(date +%s) - START) )); }
log() { echo "[$(( $(date +%s) - START ))s] $*" | tee -a "$OUT/log.txt"; }
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
PY=${PYTHON:-python3}
# GPU_CHECK_DRY=1: the same steps at toy sizes, to try the script on a CPU before spending GPU minutes
if [ -n "${GPU_CHECK_DRY:-}" ]; then SIZE=tiny; QUICK=--quick; STEPS=3; else SIZE=large; QUICK=; STEPS=30; fi

if ls .whl/*.whl >/dev/null 2>&1; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH="/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH}"
else
  export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
fi

{
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv || echo "no nvidia-smi"
  $PY - <<'PY'
import platform, torch, transformers
print("python", platform.python_version(), "torch", torch.__version__, "cuda", torch.version.cuda,
      "transformers", transformers.__version__)
print("device", torch.cuda.get_device_name(0), "capability", torch.cuda.get_device_capability(0))
print("flash sdp", torch.backends.cuda.flash_sdp_enabled(), "mem-efficient sdp", torch.backends.cuda.mem_efficient_sdp_enabled())
PY
} > "$OUT/env.txt" 2>&1
log "env: $(tail -2 "$OUT/env.txt" | head -1)"

log "1. gpu-marked tests"
timeout 110 $PY -m pytest -m gpu -p no:cacheprovider -q -rA --continue-on-collection-errors tests/replication \
  > "$OUT/gpu_tests.txt" 2>&1
log "   pytest exit $? : $(grep -E '(passed|failed|skipped|error)' "$OUT/gpu_tests.txt" | tail -1)"

log "2. ceiling + throughput, XLM-R Large shape, batch 64, real pair lengths (left $(left)s)"
timeout $(( $(left) > 400 ? 170 : $(left) - 220 )) $PY benchmarks/train_throughput.py --size $SIZE --batch-size 64 --steps $STEPS --warmup 5 \
  --compile --profile "$OUT/profile.txt" --out "$OUT/throughput.json" >> "$OUT/log.txt" 2>&1
log "   exit $?"

log "3. synthetic replication on CUDA (left $(left)s)"
CMP=()
if [ -n "${1:-}" ] && [ -f "$1" ]; then CMP=(--compare "$1"); fi
timeout $(( $(left) - 5 )) $PY benchmarks/synthetic_replication.py $QUICK --device "${GPU_CHECK_DEVICE:-cuda}" --out "$OUT/synthetic_cuda.json" \
  "${CMP[@]}" >> "$OUT/log.txt" 2> "$OUT/synthetic_stderr.txt"
log "   exit $?"
tail -c 200000 "$OUT/synthetic_stderr.txt" > "$OUT/synthetic_stderr.tmp" && mv "$OUT/synthetic_stderr.tmp" "$OUT/synthetic_stderr.txt"
if [ "$(left)" -gt 90 ]; then
  log "4. sweep of our step: batch 128 and 256, eager and compiled (left $(left)s)"
  for bs in 128 256; do
    [ "$(left)" -gt 45 ] || break
    timeout $(( $(left) - 5 )) $PY benchmarks/train_throughput.py --size $SIZE --batch-size $bs --steps 20 --warmup 3 --no-trainer --compile \
      --out "/tmp/sweep_bs$bs.json" 2>&1 | grep -E "^ours|TFLOP|^XLM" >> "$OUT/log.txt"
  done
fi

log "done"
