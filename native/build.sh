#!/bin/sh
# Builds kernels.wasm from kernels.c and writes it, base64, into src/trainer/wasm/native-module.ts (committed, so
# installing tfsweep needs no compiler). Needs Debian's clang, lld and wabt: apt-get install clang lld wabt.
#
# The module imports the wasm backend's memory, so it must never write there on its own: the build fails if it
# has a data segment or if any function touches a global (the stack pointer wasm-ld defines).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
clang --target=wasm32 -O3 -msimd128 -nostdlib -ffreestanding -Wall -Wextra -Werror \
  -Wl,--no-entry -Wl,--import-memory -o "$out/kernels.wasm" "$here/kernels.c"
wasm2wat "$out/kernels.wasm" > "$out/kernels.wat"
if grep -q -E '\(data|global\.(get|set)' "$out/kernels.wat"; then
  grep -n -E '\(data|global\.(get|set)' "$out/kernels.wat" >&2
  echo "kernels.wasm would write into the backend's memory on its own (data segment or stack use)" >&2
  exit 1
fi
wasm-strip "$out/kernels.wasm"
node "$here/embed.mjs" "$out/kernels.wasm" "$here/../src/trainer/wasm/native-module.ts"
