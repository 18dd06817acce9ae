#!/usr/bin/env bash
# One-command set-up for prunelab on Debian (Node 20): system packages, npm packages, build,
# Jupyter kernelspec; then the main job. Usage:
#   bash scripts/setup.sh            set up, then run the main job
#   bash scripts/setup.sh --no-run   set up only (what .ci/run uses)
#   bash scripts/setup.sh --with-torch   also install python3-torch (reference fixtures, benchmark peer)
#                                        and libopenblas0-pthread: without it Debian's torch runs on
#                                        the reference BLAS (~30x slower), flattering our benchmarks
#   bash scripts/setup.sh --no-lite      skip the browser edition (build/lite: lite/'s own npm
#                                        packages, ~1.5 min the first time, and a ~30 s build)
set -euo pipefail
cd "$(dirname "$0")/.."

run_main=1
with_lite=1
# slurm-wlm, munge: the one-node Slurm cluster on 127.0.0.1 that the sweep tests start (scripts/slurm-local.sh)
apt_packages=(dataset-fashion-mnist jupyter-notebook python3-nbclient jupyter-client python3-jupyter-kernel-test chromium slurm-wlm munge)
for arg in "$@"; do
  case "$arg" in
    --no-run) run_main=0 ;;
    --with-torch) apt_packages+=(python3-torch libopenblas0-pthread) ;;
    --no-lite) with_lite=0 ;;
    *) echo "setup: unknown option '$arg' (known: --no-run, --with-torch, --no-lite)" >&2; exit 2 ;;
  esac
done

# 1. System packages (Debian): install the missing ones when root, else say exactly what to run.
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages. Run as root, then re-run this script:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# 2. npm packages from the lockfile. @tensorflow/tfjs-node is optional: its install downloads
#    libtensorflow, and where that fails (no internet) npm skips it and prunelab uses wasm.
echo "setup: installing npm packages (npm ci)"
npm ci --no-audit --no-fund --loglevel=error

# 3. Build TypeScript (and any WebAssembly kernels) and register the Jupyter kernel.
echo "setup: building"
npm run --silent build
if [ -f scripts/install-kernelspec.sh ]; then bash scripts/install-kernelspec.sh; fi

# 4. The browser edition (JupyterLite site in build/lite; test/lite checks it): lite/'s npm packages
#    (npm ci, skipped while they match lite/package-lock.json), then the site.
if [ "$with_lite" = 1 ]; then
  echo "setup: building the browser edition (npm run lite)"
  npm run --silent lite
fi

echo "setup: done"
if [ "$run_main" = 1 ]; then
  PRUNELAB_SETUP_DONE=1 exec npm run --silent main
fi
