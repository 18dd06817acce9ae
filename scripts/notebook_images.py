#!/usr/bin/python3
"""Adds a static PNG of each plotly figure to executed notebooks, beside the interactive figure.

Usage (from the repository root, after `npm run build`):
  /usr/bin/python3 scripts/notebook_images.py NOTEBOOK... [--force] [--check]

Every output that holds a plotly figure (`application/vnd.plotly.v1+json`) gains an `image/png`
entry in the same output bundle, and its `text/html` shows that image until plotly.js replaces it
with the interactive figure: so the figure renders where JavaScript does not run (GitHub,
nbconvert to HTML or PDF, untrusted notebooks), and stays interactive where it does.

- The figure data is not changed, nor is any other output, cell or metadata: the notebook is
  read and written as JSON in nbformat's own layout (indent 1, sorted keys), so every other byte
  stays as it was. The file is replaced atomically.
- Outputs that already have an `image/png` are left alone unless --force is given, so running
  it twice changes nothing.
- --check: change nothing; exit 1 and list the plotly outputs that lack a static image.
- The images are drawn by plotly.js in headless Chromium (scripts/figure-images.js, with the
  Debian `chromium` package and `playwright-core`), at the figure's own size.

scripts/run-notebooks.py applies this to every notebook it executes.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLOTLY_MIME = "application/vnd.plotly.v1+json"


def read_notebook(path):
    """The notebook as parsed JSON (plain dicts and lists, in file order)."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def notebook_text(nb):
    """The notebook as nbformat writes it (so unchanged parts keep their bytes)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def plotly_outputs(nb):
    """(cell index, output) of every output that holds a plotly figure."""
    found = []
    for i, cell in enumerate(nb.get("cells", [])):
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") in ("display_data", "execute_result") and PLOTLY_MIME in out.get("data", {}):
                found.append((i, out))
    return found


def split_lines(text):
    """A multi-line string as nbformat stores it: a list of lines that keep their newlines."""
    return text.splitlines(True)


def render(figures):
    """Runs scripts/figure-images.js on the figures; returns its results in the same order."""
    with tempfile.TemporaryDirectory(prefix="prunelab-images-") as tmp:
        src = os.path.join(tmp, "figures.json")
        dst = os.path.join(tmp, "images.json")
        with open(src, "w", encoding="utf-8") as f:
            json.dump(figures, f)
        r = subprocess.run(["node", os.path.join(ROOT, "scripts", "figure-images.js"), src, dst],
                           cwd=ROOT, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"rendering the static images failed:\n{(r.stderr or r.stdout).strip()}")
        with open(dst, encoding="utf-8") as f:
            return json.load(f)


def write_atomically(path, text):
    """Writes a temporary file beside `path` (with its permissions) and renames it into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def add_static_images(path, force=False):
    """Adds `image/png` to each plotly output of the notebook at `path` that lacks one.

    Returns the number of figures rendered (0: the file is not rewritten).
    """
    nb = read_notebook(path)
    todo = [out for _, out in plotly_outputs(nb) if force or "image/png" not in out["data"]]
    if not todo:
        return 0
    images = render([out["data"][PLOTLY_MIME] for out in todo])
    if len(images) != len(todo):
        raise RuntimeError(f"expected {len(todo)} images, got {len(images)}")
    for out, img in zip(todo, images):
        out["data"]["image/png"] = img["pngBase64"]
        out["data"]["text/html"] = split_lines(img["html"])
    write_atomically(path, notebook_text(nb))
    return len(todo)


def missing_images(path):
    """Cell indices of plotly outputs without a static image."""
    return [i for i, out in plotly_outputs(read_notebook(path)) if "image/png" not in out["data"]]


def main():
    p = argparse.ArgumentParser(description="Add a static PNG beside each plotly figure of executed notebooks.")
    p.add_argument("notebooks", nargs="+", help="executed .ipynb files")
    p.add_argument("--force", action="store_true", help="re-render figures that already have an image")
    p.add_argument("--check", action="store_true", help="change nothing; fail if a plotly output has no image")
    args = p.parse_args()
    missing = [n for n in args.notebooks if not os.path.isfile(n)]
    if missing:
        print(f"notebook_images: no such notebook: {', '.join(missing)}", file=sys.stderr)
        return 2
    status = 0
    for path in args.notebooks:
        if args.check:
            cells = missing_images(path)
            if cells:
                status = 1
                print(f"{path}: {len(cells)} plotly output(s) without a static image (cells {', '.join(map(str, cells))}); "
                      f"run scripts/notebook_images.py {path}")
            continue
        try:
            n = add_static_images(path, force=args.force)
        except (RuntimeError, ValueError) as e:
            print(f"notebook_images: {path}: {e}", file=sys.stderr)
            return 1
        print(f"{path}: {n} static image(s) added" if n else f"{path}: every plotly figure already has a static image")
    return status


if __name__ == "__main__":
    sys.exit(main())
