#!/usr/bin/env bash
# Sets up and starts the classic Jupyter Notebook on notebooks/ with the prunelab kernel ready:
# builds, installs the kernelspec, picks a free port on 127.0.0.1, makes a token and prints the
# URL to open. Environment: PRUNELAB_PORT (default: first free from 8888), PRUNELAB_TOKEN
# (default: random), PRUNELAB_JUPYTER_PYTHON (default /usr/bin/python3).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PRUNELAB_JUPYTER_PYTHON:-/usr/bin/python3}"
if ! "$PY" -c 'import notebook' 2>/dev/null; then
  echo "error: the classic Jupyter Notebook is not installed for $PY." >&2
  echo "       Debian/Ubuntu: sudo apt-get install jupyter-notebook   (or set PRUNELAB_JUPYTER_PYTHON)" >&2
  exit 1
fi
cd "$ROOT"
# scripts/setup.sh has just built and installed the kernelspec when it starts this script.
if [ "${PRUNELAB_SETUP_DONE:-0}" != "1" ]; then
  echo "Building prunelab ..."
  npx tsc -p . >/dev/null || true
  [ -f build/kernel/main.js ] || { echo "error: build/kernel/main.js is missing; run npx tsc -p . to see why" >&2; exit 1; }
  echo "Installing the prunelab kernelspec ..."
  if [ "$(id -u)" = "0" ]; then PRUNELAB_SKIP_BUILD=1 bash scripts/install-kernelspec.sh; else PRUNELAB_SKIP_BUILD=1 bash scripts/install-kernelspec.sh --user; fi
fi
PORT="${PRUNELAB_PORT:-$(node -e '
const net = require("net");
(function tryPort(p) {
  const s = net.createServer().once("error", () => tryPort(p + 1)).once("listening", () => s.close(() => console.log(p)));
  s.listen(p, "127.0.0.1");
})(8888);')}"
TOKEN="${PRUNELAB_TOKEN:-$(node -e 'console.log(require("crypto").randomBytes(24).toString("hex"))')}"
EXTRA=()
if [ "$(id -u)" = "0" ]; then EXTRA+=(--allow-root); fi
URL="http://127.0.0.1:${PORT}/tree?token=${TOKEN}"
echo
echo "prunelab notebook server: ${URL}"
echo "(open notebooks/00-magics-tour.ipynb; kernel: TypeScript (prunelab); Ctrl-C stops the server)"
echo
exec "$PY" -m notebook --no-browser --ip=127.0.0.1 --port="$PORT" --port-retries=0 \
  --NotebookApp.token="$TOKEN" --notebook-dir="$ROOT/notebooks" "${EXTRA[@]}"
