#!/usr/bin/env bash
# End to end: the build options' ✓/✗ lines and their errors (args: BIN_DIR SOURCE_DIR).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
conf() { local d=$1; shift; cmake -S "$SRC" -B "$tmp/$d" -DKPRCA_TESTS=OFF "$@" > "$tmp/$d.log" 2>&1; }

conf off -DKPRCA_CUDA=OFF; rc=$?
check "KPRCA_CUDA=OFF configures" '[ $rc -eq 0 ]'
check "... and says ✗ CUDA: disabled" 'grep -q "✗ CUDA: disabled (KPRCA_CUDA=OFF)" "$tmp/off.log"'
check "... and ✗ for cuDNN and NCCL with the reason" 'grep -q "✗ cuDNN: needs the CUDA backend" "$tmp/off.log" && grep -q "✗ NCCL: needs the CUDA backend" "$tmp/off.log"'

conf on_missing -DKPRCA_CUDA=ON -DCMAKE_CUDA_COMPILER=/nonexistent/nvcc; rc=$?
check "KPRCA_CUDA=ON without nvcc stops configure" '[ $rc -ne 0 ]'
check "... with a clear message" 'grep -q "KPRCA_CUDA=ON but the CUDA toolkit was not usable" "$tmp/on_missing.log"'

conf nccl_nocuda -DKPRCA_CUDA=OFF -DKPRCA_NCCL=ON; rc=$?
check "KPRCA_NCCL=ON without CUDA stops configure" '[ $rc -ne 0 ] && grep -q "KPRCA_NCCL=ON but NCCL is not usable: needs the CUDA backend" "$tmp/nccl_nocuda.log"'

conf bad_value -DKPRCA_CUDA=OFF -DKPRCA_MPI=maybe; rc=$?
check "a value other than AUTO/ON/OFF is rejected" '[ $rc -ne 0 ] && grep -q "KPRCA_MPI=maybe: allowed values are AUTO, ON, OFF" "$tmp/bad_value.log"'

if [ -x /usr/local/cuda/bin/nvcc ] || command -v nvcc >/dev/null 2>&1; then
  conf auto; rc=$?
  check "AUTO finds the CUDA toolkit here (no GPU needed)" '[ $rc -eq 0 ] && grep -q "✓ CUDA: nvcc" "$tmp/auto.log"'
fi
exit $fail
