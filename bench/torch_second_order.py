#!/usr/bin/python3
"""PyTorch reference timings for bench/second-order.ts (called by it; Debian python3-torch 1.13).

    /usr/bin/python3 bench/torch_second_order.py DIR N

DIR holds weights.json (tfjs layout kernels/biases of LeNet-300-100), x.f32 [N, 784] and y.f32
[N, 10]. The same computations as prunelab's methods, vectorised the torch way, each timed in
float64 and float32 on this machine's CPU threads: OBD Gauss-Newton and Fisher diagonals (per-example
errors by one backward pass), L-OBS (Psi, inverse, sensitivities, the per-column walk) for the
three layers, WoodFisher with blocks of 128 (Woodbury recursion batched over blocks, and direct
batched Cholesky inverses) plus scores and the summed update. Prints one JSON line.
"""
import json
import os
import sys
import time

import numpy as np
import torch

d, N = sys.argv[1], int(sys.argv[2])
meta = json.load(open(os.path.join(d, 'weights.json')))
X0 = torch.from_numpy(np.fromfile(os.path.join(d, 'x.f32'), dtype=np.float32).reshape(N, 784))
Y0 = torch.from_numpy(np.fromfile(os.path.join(d, 'y.f32'), dtype=np.float32).reshape(N, 10))
P0 = [torch.tensor(w, dtype=torch.float32).reshape(s) for w, s in zip(meta['weights'], meta['shapes'])]
SP = 0.9


def setup(dtype):
    Ws = [P0[0].to(dtype), P0[2].to(dtype), P0[4].to(dtype)]  # [in, out]
    Bs = [P0[1].to(dtype), P0[3].to(dtype), P0[5].to(dtype)]
    return Ws, Bs, X0.to(dtype), Y0.to(dtype)


def passes(Ws, Bs, X, Y):
    probes = [torch.zeros(X.shape[0], W.shape[1], dtype=X.dtype, requires_grad=True) for W in Ws]
    h, xs, zs = X, [], []
    for l in range(3):
        xs.append(h)
        z = h @ Ws[l] + Bs[l] + probes[l]
        zs.append(z)
        h = torch.relu(z) if l < 2 else z
    loss = -(Y * torch.log_softmax(h, -1)).sum()
    ds = torch.autograd.grad(loss, probes)
    return xs, [z.detach() for z in zs], ds, h.detach()


def obd_fisher(Ws, Bs, X, Y):
    xs, _, ds, _ = passes(Ws, Bs, X, Y)
    return [0.5 * ((x ** 2).T @ (dd ** 2) / N) * W ** 2 for x, dd, W in zip(xs, ds, Ws)]


def obd_gn(Ws, Bs, X, Y):
    with torch.no_grad():
        h, xs, zs = X, [], []
        for l in range(3):
            xs.append(h)
            z = h @ Ws[l] + Bs[l]
            zs.append(z)
            h = torch.relu(z) if l < 2 else z
        p = torch.softmax(h, -1)
        c = p * (1 - p)
        out = [None] * 3
        for l in (2, 1, 0):
            out[l] = 0.5 * ((xs[l] ** 2).T @ c / N) * Ws[l] ** 2
            if l > 0:
                c = ((zs[l - 1] > 0).to(X.dtype)) * (c @ (Ws[l] ** 2).T)
        return out


def lobs(Ws, Bs, X, Y):
    with torch.no_grad():
        h = X
        for l in range(3):
            y = torch.cat([h, torch.ones(N, 1, dtype=X.dtype)], 1)
            psi = y.T @ y / N + 1e-6 * torch.eye(y.shape[1], dtype=X.dtype)
            inv = torch.cholesky_inverse(torch.linalg.cholesky(psi))
            W = torch.cat([Ws[l], Bs[l][None]], 0).clone()
            m = Ws[l].shape[0]
            dg = torch.diagonal(inv)[:m]
            sens = Ws[l] ** 2 / (2 * dg[:, None])
            count = round(SP * sens.numel())
            thr = torch.kthvalue(sens.reshape(-1), count).values
            pruned = sens <= thr
            # walk: per column, its pruned rows in ascending sensitivity; columns in parallel
            order = torch.argsort(torch.where(pruned, sens, torch.full_like(sens, float('inf'))), 0)
            per_col = pruned.sum(0)
            cols = torch.arange(W.shape[1])
            for k in range(int(per_col.max())):
                active = per_col > k
                i = order[k][active]
                c = cols[active]
                f = W[i, c] / inv[i, i]
                W[:, c] -= inv[:, i] * f[None, :]
                W[i, c] = 0
            W[:m][pruned] = 0
            h = torch.relu(h @ Ws[l] + Bs[l]) if l < 2 else h
        return W


def woodfisher(Ws, Bs, X, Y, how):
    xs, _, ds, _ = passes(Ws, Bs, X, Y)
    c = 128
    with torch.no_grad():
        scores, invs = [], []
        for x, dd, W in zip(xs, ds, Ws):
            P = W.numel()
            nb = (P + c - 1) // c
            wflat = torch.zeros(nb * c, dtype=X.dtype)
            wflat[:P] = W.T.reshape(-1)  # [out, in] order, as the repo
            blocks = []
            for s in range(0, nb, 256):  # chunks of blocks bound the memory of G
                e = min(nb, s + 256)
                # G[n, j] = delta[n, o] * x[n, i] for j = o * in + i
                j = torch.arange(s * c, e * c)
                valid = (j < P).to(X.dtype)
                jj = torch.clamp(j, max=P - 1)
                fan_in = W.shape[0]
                G = (dd[:, jj // fan_in] * x[:, jj % fan_in] * valid).reshape(N, e - s, c).transpose(0, 1).contiguous()
                if how == 'direct':
                    F = G.transpose(1, 2) @ G / N + 1e-5 * torch.eye(c, dtype=X.dtype)
                    inv = torch.cholesky_inverse(torch.linalg.cholesky(F))
                else:
                    inv = torch.eye(c, dtype=X.dtype).repeat(e - s, 1, 1) / 1e-5
                    for n in range(N):
                        g = G[:, n, :]
                        u = torch.bmm(inv, g[:, :, None])[:, :, 0]
                        inv -= u[:, :, None] * u[:, None, :] / (N + (g * u).sum(1))[:, None, None]
                blocks.append(inv)
                del G
            inv = torch.cat(blocks)
            invs.append(inv)
            scores.append(wflat.reshape(nb, c) ** 2 / torch.diagonal(inv, dim1=1, dim2=2))
        allsc = torch.cat([s.reshape(-1) for s in scores])
        thr = torch.kthvalue(allsc, round(SP * allsc.numel())).values
        for s, inv, W in zip(scores, invs, Ws):
            nb = inv.shape[0]
            wflat = torch.zeros(nb * c, dtype=X.dtype)
            wflat[:W.numel()] = W.T.reshape(-1)
            q = (s <= thr)
            v = torch.where(q, -wflat.reshape(nb, c) / torch.diagonal(inv, dim1=1, dim2=2), torch.zeros_like(s))
            _ = torch.bmm(inv, v[:, :, None])
        return thr


def timed(fn, *a):
    t = time.perf_counter()
    fn(*a)
    return time.perf_counter() - t


out = {}
for key, fn in [('obd-gn', obd_gn), ('obd-fisher', obd_fisher), ('lobs', lobs),
                ('woodfisher-woodbury', lambda *a: woodfisher(*a, 'woodbury')),
                ('woodfisher-direct', lambda *a: woodfisher(*a, 'direct'))]:
    out[key] = {name: timed(fn, *setup(dt)) for name, dt in [('float64', torch.float64), ('float32', torch.float32)]}
    print(key, out[key], file=sys.stderr)
print(json.dumps(out))
