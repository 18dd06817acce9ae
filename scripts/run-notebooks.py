#!/usr/bin/python3
"""Executes prunelab's notebooks through the real prunelab kernel (nbclient) and fails on any error.

Usage (from the repository root, with Debian's python3, which has nbclient):
  /usr/bin/python3 scripts/run-notebooks.py [NOTEBOOK ...] [--timeout S] [--out DIR]
  PRUNELAB_BUDGET=paper /usr/bin/python3 scripts/run-notebooks.py --update-outputs [NOTEBOOK ...]

- Without NOTEBOOK arguments, runs every notebooks/NN-*.ipynb in name order.
- Each notebook is executed as a copy (written to --out, default build/notebooks); the committed
  file is only rewritten with --update-outputs, which requires PRUNELAB_BUDGET=paper (committed
  notebooks carry the outputs of a paper-budget run) unless --allow-quick-outputs is also given,
  in which case a markdown cell at the top says that the outputs come from the quick budget.
- The kernel is this checkout's build (build/kernel/main.js), installed as a throwaway
  kernelspec in a temporary JUPYTER_PATH, so that a stale system-wide kernelspec is never used.
- Data: MNIST ships in datasets/mnist, Fashion-MNIST comes from Debian's dataset-fashion-mnist;
  PRUNELAB_DATA, when set, is passed on to the kernel (a user's own copies).
- Each executed notebook (the copy, and the committed file with --update-outputs) gets a static
  PNG beside each plotly figure (scripts/notebook_images.py; --no-static-images skips it).
- Sweeps: the notebooks run their grids as resumable sweeps (pl.sweeps.*), whose records go to
  $PRUNELAB_SWEEP_ROOT/<name> (default ~/.cache/prunelab/sweeps/<name>). At the quick budget,
  unless PRUNELAB_SWEEP_ROOT is set, they go to a fresh temporary directory (removed at the end),
  so a quick run (CI) always computes instead of reading back an earlier run's records; the
  paper budget keeps the default root, so that an interrupted run resumes.
- Prints each notebook's wall time; exits 1 if any notebook raised an error (a failed assertion
  cell included), 2 for bad usage.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import notebook_images  # noqa: E402  (scripts/notebook_images.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUDGET_NOTE_ID = "prunelab-budget-note"


def fail_usage(msg):
    print(f"run-notebooks: {msg}", file=sys.stderr)
    sys.exit(2)


def import_jupyter():
    try:
        import nbformat  # noqa: F401
        from nbclient import NotebookClient  # noqa: F401
    except ImportError as e:
        fail_usage(
            f"{e}. Run this script with Debian's python3 (/usr/bin/python3) after "
            "`apt-get install python3-nbclient jupyter-client` (scripts/setup.sh does it)."
        )


def install_kernelspec(tmp):
    """Installs the prunelab kernelspec of this checkout into tmp/kernels; returns the JUPYTER_PATH entry."""
    spec = os.path.join(ROOT, "build", "kernel", "kernelspec.js")
    if not os.path.exists(spec):
        fail_usage(f"{spec} is missing; build first (npm run build).")
    r = subprocess.run(["node", spec, "--dir", os.path.join(tmp, "kernels")], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        fail_usage(f"installing the kernelspec failed:\n{r.stdout}{r.stderr}")
    return tmp


def default_notebooks():
    return sorted(p for p in glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")) if re.match(r"\d\d-", os.path.basename(p)))


def first_error(nb):
    """The first unexpected error output of an executed notebook as (cell index, ename, evalue, source head)."""
    for i, cell in enumerate(nb.cells):
        if "raises-exception" in cell.get("metadata", {}).get("tags", []):
            continue  # nbclient's convention: the cell shows an error on purpose (e.g. a typo'd magic)
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return i, out.get("ename", ""), out.get("evalue", ""), cell.get("source", "")[:300]
    return None


def budget_note(budget, seconds):
    import nbformat

    when = time.strftime("%Y-%m-%d")
    if budget == "paper":
        text = (f"*The outputs below come from a **paper-budget** run (`PRUNELAB_BUDGET=paper`, {when}, "
                f"{seconds / 60:.0f} min on this machine). CI re-runs a copy at the quick budget.*")
    else:
        text = (f"*Note: the outputs below come from a **quick-budget** run ({when}, {seconds:.0f} s), not the paper "
                "budget: the paper-budget run has not been committed yet. Run `PRUNELAB_BUDGET=paper npm run "
                "notebooks -- --update-outputs` to produce the paper figures.*")
    cell = nbformat.v4.new_markdown_cell(text)
    cell.id = BUDGET_NOTE_ID
    cell.metadata["tags"] = ["budget-note"]
    return cell


def set_budget_note(nb, budget, seconds):
    cells = [c for c in nb.cells if c.get("id") != BUDGET_NOTE_ID]
    # after the title cell, so that the notebook still opens with its title
    cells.insert(1 if cells and cells[0].cell_type == "markdown" else 0, budget_note(budget, seconds))
    nb.cells = cells


def run_one(path, args, jupyter_path, env_budget):
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    name = os.path.basename(path)
    nb = nbformat.read(path, as_version=4)
    ks = nb.metadata.get("kernelspec", {}).get("name")
    if ks != "prunelab":
        return False, 0.0, f"kernelspec is '{ks}', expected 'prunelab'"
    client = NotebookClient(
        nb,
        kernel_name="prunelab",
        timeout=args.timeout,
        startup_timeout=120,
        resources={"metadata": {"path": os.path.dirname(path)}},
    )
    t0 = time.time()
    error = None
    try:
        client.execute()
    except CellExecutionError as e:
        error = str(e).strip().splitlines()
        error = "\n".join(error[-12:])
    except Exception as e:  # timeouts, dead kernels
        error = f"{type(e).__name__}: {e}"
    seconds = time.time() - t0
    if error is None:
        fe = first_error(nb)  # allow_errors is off, but a kernel may report errors without failing the cell
        if fe:
            error = f"cell {fe[0]}: {fe[1]}: {fe[2]}"
    os.makedirs(args.out, exist_ok=True)
    written = [os.path.join(args.out, name)]
    nbformat.write(nb, written[0])
    if error is None and args.update_outputs:
        set_budget_note(nb, env_budget, seconds)
        nbformat.write(nb, path)
        written.append(path)
    if error is None and not args.no_static_images:
        # A static PNG beside each plotly figure, for GitHub and nbconvert (scripts/notebook_images.py).
        try:
            for p in written:
                notebook_images.add_static_images(p)
        except (RuntimeError, OSError) as e:
            error = f"static images: {e} (or pass --no-static-images)"
    return error is None, seconds, error


def main():
    p = argparse.ArgumentParser(description="Execute prunelab notebooks through the prunelab kernel.")
    p.add_argument("notebooks", nargs="*", help="notebooks to run (default: notebooks/NN-*.ipynb)")
    # a paper-budget cell runs a whole sweep (hours on 2 cores); an hour is a hang only at the quick budget
    p.add_argument("--timeout", type=int, default=None, help="seconds per cell (default 3600 at the quick budget, 24 h at the paper budget)")
    p.add_argument("--out", default=os.path.join(ROOT, "build", "notebooks"), help="where executed copies go")
    p.add_argument("--update-outputs", action="store_true", help="write the outputs back into the committed notebooks")
    p.add_argument("--allow-quick-outputs", action="store_true", help="with --update-outputs: accept a quick-budget run")
    p.add_argument("--no-static-images", action="store_true",
                   help="do not add a static PNG beside each plotly figure (that step needs Chromium)")
    args = p.parse_args()
    import_jupyter()

    budget = (os.environ.get("PRUNELAB_BUDGET") or "quick").strip().lower()
    if budget not in ("quick", "paper"):
        fail_usage(f"PRUNELAB_BUDGET='{budget}' is unknown; use quick (default) or paper.")
    if args.timeout is None:
        args.timeout = 3600 if budget == "quick" else 24 * 3600
    if args.update_outputs and budget != "paper" and not args.allow_quick_outputs:
        fail_usage("--update-outputs rewrites the committed notebooks, which carry paper-budget outputs: "
                   "set PRUNELAB_BUDGET=paper (or add --allow-quick-outputs to commit quick-budget outputs, marked as such).")
    paths = [os.path.abspath(n) for n in args.notebooks] or default_notebooks()
    missing = [n for n in paths if not os.path.exists(n)]
    if missing:
        fail_usage(f"no such notebook: {', '.join(missing)}")
    if not paths:
        print("run-notebooks: no notebooks/NN-*.ipynb found; nothing to run.")
        return 0

    tmp = tempfile.mkdtemp(prefix="prunelab-nb-")
    jp = install_kernelspec(tmp)
    os.environ["JUPYTER_PATH"] = jp + (os.pathsep + os.environ["JUPYTER_PATH"] if os.environ.get("JUPYTER_PATH") else "")
    fresh_sweeps = None
    if budget == "quick" and not os.environ.get("PRUNELAB_SWEEP_ROOT"):
        # a quick run computes every trial (CI), rather than reading back records of an earlier build
        fresh_sweeps = os.path.join(tmp, "sweeps")
        os.environ["PRUNELAB_SWEEP_ROOT"] = fresh_sweeps
    print(f"run-notebooks: budget {budget}, {len(paths)} notebook(s), PRUNELAB_DATA={os.environ.get('PRUNELAB_DATA', '(unset)')}, "
          f"sweeps in {os.environ.get('PRUNELAB_SWEEP_ROOT') or '~/.cache/prunelab/sweeps'}{' (temporary)' if fresh_sweeps else ''}")

    results = []
    for path in paths:
        name = os.path.basename(path)
        print(f"  {name} ...", flush=True)
        ok, seconds, error = run_one(path, args, jp, budget)
        results.append((name, ok, seconds))
        print(f"  {'ok  ' if ok else 'FAIL'} {name}  {seconds:6.1f} s", flush=True)
        if error:
            print("    " + error.replace("\n", "\n    "), flush=True)
    if fresh_sweeps:
        shutil.rmtree(fresh_sweeps, ignore_errors=True)
    failed = [r for r in results if not r[1]]
    print(f"run-notebooks: {len(results) - len(failed)} passed, {len(failed)} failed "
          f"(total {sum(r[2] for r in results):.1f} s); executed copies in {os.path.relpath(args.out, ROOT)}/")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
