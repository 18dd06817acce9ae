"""PyTorch peer for bench/train.ts: one epoch of LeNet-300-100 (Adam, batch 128) and optionally
LeNet-5-Caffe (SGD, batch 64) on Fashion-MNIST read from the IDX files, on the CPU.

Usage: /usr/bin/python3 bench/torch_train.py DATA_DIR [--threads N] [--repeats 3] [--lenet5-steps N]
Prints one JSON line: {"torch": version, "threads": n, "blas": {...} (see peer_blas.py),
"results": [{model, ms_per_step, steps, epoch_s, extrapolated}]}.
"""
import argparse, gzip, json, os, statistics, time

import numpy as np
import torch
from torch import nn

from peer_blas import blas_info


def read_idx(path):
    with (gzip.open if path.endswith('.gz') else open)(path, 'rb') as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(data_dir, stem):
    for name in (stem + '.gz', stem):
        if os.path.exists(os.path.join(data_dir, name)):
            return os.path.join(data_dir, name)
    raise FileNotFoundError(f'{stem}(.gz) not found in {data_dir}')


def lenet300():
    return nn.Sequential(nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(), nn.Linear(100, 10))


def lenet5():
    return nn.Sequential(nn.Conv2d(1, 20, 5), nn.MaxPool2d(2), nn.Conv2d(20, 50, 5), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10))


def epoch(model, opt, x, y, batch, max_steps):
    loss_fn = nn.CrossEntropyLoss()
    perm = torch.randperm(len(x))
    steps = min(max_steps or 10**9, (len(x) + batch - 1) // batch)
    start = time.perf_counter()
    for s in range(steps):
        idx = perm[s * batch:(s + 1) * batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        loss.item()  # one host sync per step, like the tfjs loop
    return (time.perf_counter() - start) * 1000 / steps, steps


def main():
    p = argparse.ArgumentParser()
    p.add_argument('data_dir')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--lenet5-steps', type=int, default=0, help='0 = full epoch; -1 = skip LeNet-5')
    p.add_argument('--lenet300-steps', type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x = torch.from_numpy(read_idx(find(a.data_dir, 'train-images-idx3-ubyte')).astype(np.float32) / 255.0)
    y = torch.from_numpy(read_idx(find(a.data_dir, 'train-labels-idx1-ubyte')).astype(np.int64))
    results = []
    cases = [('lenet-300-100', lenet300, lambda m: torch.optim.Adam(m.parameters(), lr=1e-3), 128, x.reshape(-1, 784), a.lenet300_steps)]
    if a.lenet5_steps >= 0:
        cases.append(('lenet-5-caffe', lenet5, lambda m: torch.optim.SGD(m.parameters(), lr=0.01), 64, x.reshape(-1, 1, 28, 28), a.lenet5_steps))
    for name, make, make_opt, batch, xs, max_steps in cases:
        model = make()
        opt = make_opt(model)
        epoch(model, opt, xs, y, batch, 5)  # warm-up
        times = []
        for _ in range(a.repeats):
            ms, steps = epoch(model, opt, xs, y, batch, max_steps)
            times.append(ms)
        full = (len(xs) + batch - 1) // batch
        ms = statistics.median(times)
        results.append({'model': name, 'ms_per_step': ms, 'steps': steps, 'epoch_s': ms * full / 1000, 'extrapolated': steps < full})
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'blas': blas_info(torch), 'results': results}))


if __name__ == '__main__':
    main()
