"""Executes a notebook with nbclient on a kernel and writes the executed copy.

usage: run_notebook.py INPUT OUTPUT [KERNEL_NAME]
Cells tagged `raises-exception` may fail; any other error fails the run (exit code 1).
"""
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

src, dst = sys.argv[1], sys.argv[2]
kernel = sys.argv[3] if len(sys.argv) > 3 else "prunelab"
nb = nbformat.read(src, as_version=4)
client = NotebookClient(nb, kernel_name=kernel, timeout=600, startup_timeout=120, resources={"metadata": {"path": "."}})
status = 0
try:
    client.execute()
except CellExecutionError as e:
    print(str(e)[:4000], file=sys.stderr)
    status = 1
finally:
    nbformat.write(nb, dst)
sys.exit(status)
