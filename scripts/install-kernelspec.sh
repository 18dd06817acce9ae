#!/usr/bin/env bash
# Installs the prunelab Jupyter kernelspec ("TypeScript (prunelab)") with the Python that Jupyter
# uses (/usr/bin/python3 on Debian; override with PRUNELAB_JUPYTER_PYTHON or --python).
#   scripts/install-kernelspec.sh            # system-wide as root, else per user
#   scripts/install-kernelspec.sh --user     # per user
#   scripts/install-kernelspec.sh --dir D    # write D/prunelab (use with JUPYTER_PATH=D/..)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ ! -f build/kernel/kernelspec.js ] || [ "${PRUNELAB_SKIP_BUILD:-0}" != "1" ]; then
  # tsc emits even when some other file has type errors; the kernel files are checked below.
  npx tsc -p . >/dev/null || true
fi
for f in build/kernel/main.js build/kernel/kernelspec.js; do
  [ -f "$f" ] || { echo "error: $f is missing; the build failed (run: npx tsc -p .)" >&2; exit 1; }
done
ARGS=("$@")
if [ ${#ARGS[@]} -eq 0 ] && [ "$(id -u)" != "0" ]; then ARGS=(--user); fi
exec node build/kernel/kernelspec.js "${ARGS[@]}"
