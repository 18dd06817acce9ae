#!/usr/bin/env python3
"""PyTorch peer of bench/sparse.ts: dense torch.mm vs CSR torch.sparse.mm on the same shapes.

Usage: /usr/bin/python3 bench/torch_sparse.py '<json config>'
Config: {"shapes": [[out, in], ...], "sparsities": [...], "batches": [...], "threads": 1}
Prints one JSON object: {"torch": version, "threads": n, "blas": {...} (see peer_blas.py),
"rows": [{out, in, sparsity, batch, dense_ms, csr_ms}]}.
Single-threaded by default, like the wasm backend, so the ratios compare like with like.
"""
import json
import sys
import time

import torch

from peer_blas import blas_info


def median_ms(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1000)
    ts.sort()
    return ts[len(ts) // 2]


def main():
    cfg = json.loads(sys.argv[1])
    torch.set_num_threads(int(cfg.get("threads", 1)))
    torch.manual_seed(0)
    rows = []
    for out, inn in cfg["shapes"]:
        w = torch.rand(out, inn) * 2 - 1
        big = out * inn > 4_000_000
        reps = 5 if big else 15
        for s in cfg["sparsities"]:
            a = w * (torch.rand(out, inn) >= s)
            csr = a.to_sparse_csr()
            for b in cfg["batches"]:
                x = torch.rand(inn, b)  # y^T = A x^T: the CSR row-parallel orientation
                dense = median_ms(lambda: torch.mm(a, x), 2, reps)
                sp = median_ms(lambda: torch.sparse.mm(csr, x) if hasattr(torch.sparse, "mm") else csr @ x, 2, reps)
                rows.append({"out": out, "in": inn, "sparsity": s, "batch": b, "dense_ms": dense, "csr_ms": sp})
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_info(torch), "rows": rows}))


if __name__ == "__main__":
    main()
