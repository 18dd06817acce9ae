#!/usr/bin/python3
"""Reference values for method family 4 (sparse from scratch): SNIP and GraSP scores and masks,
one SET and one RigL mask update, on a fixed small MLP and batch, computed with PyTorch (1.13,
Debian python3-torch) in float64 following the reference implementations:
  SNIP  namhoonlee/snip-public   (|dL/dw * w| / sum, one global top-k)
  GraSP alecwangcq/GraSP pruner/GraSP.py (T = 200, Hg by double backprop, S = -theta*Hg, remove the largest S)
  SET   dcmocanu/sparse-evolutionary-artificial-neural-networks (drop zeta of positives and zeta of
        negatives closest to zero, regrow at random among empty positions; the random draws are given)
  RigL  google-research/rigl sparse_optimizers.py generic_mask_update (drop smallest |w|, grow largest
        |dense gradient| among positions not kept, including just-dropped ones; n = floor(alpha * n_active))

Run:  /usr/bin/python3 scripts/torch-fixtures/sparse-training.py
Writes test/fixtures/torch/sparse-training/fixtures.json. Kernels are stored in tfjs layout
[in, out] (torch's weight transposed), float64 values rounded from float32 draws.
"""
import json
import math
import os

import torch

torch.manual_seed(4242)
DT = torch.float64
N_IN, N_HID, N_OUT, PER_CLASS = 8, 6, 4, 3


def flat(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


# fixed weights (float32 draws, then float64), kernels [in, out]
k1 = torch.randn(N_IN, N_HID).float().double() * 0.5
b1 = torch.randn(N_HID).float().double() * 0.1
k2 = torch.randn(N_HID, N_OUT).float().double() * 0.5
b2 = torch.randn(N_OUT).float().double() * 0.1
x = torch.randn(N_OUT * PER_CLASS, N_IN).float().double()
labels = torch.arange(N_OUT).repeat_interleave(PER_CLASS)  # class-ordered, PER_CLASS per class
y = torch.nn.functional.one_hot(labels, N_OUT).double()


def forward(ws, xs, T=1.0):
    h = torch.relu(xs @ ws[0] + b1)
    return (h @ ws[1] + b2) / T


def loss_fn(ws, xs, ls, T=1.0):
    return torch.nn.functional.cross_entropy(forward(ws, xs, T), ls)


def global_keep(scores, sparsity):
    """Keep the top round((1 - s) * n) scores over all layers (torch.topk)."""
    allv = torch.cat([s.reshape(-1) for s in scores])
    keep = int(round((1 - sparsity) * allv.numel()))
    thr_idx = torch.topk(allv, keep).indices
    m = torch.zeros_like(allv)
    m[thr_idx] = 1
    out, off = [], 0
    for s in scores:
        out.append(m[off:off + s.numel()].reshape(s.shape))
        off += s.numel()
    return out


# ---- SNIP: connection sensitivity on the batch
ws = [k1.clone().requires_grad_(True), k2.clone().requires_grad_(True)]
g = torch.autograd.grad(loss_fn(ws, x, labels), ws)
raw = [torch.abs(gi * wi.detach()) for gi, wi in zip(g, ws)]
total = sum(r.sum() for r in raw)
snip_scores = [r / total for r in raw]
snip_mask = global_keep(snip_scores, 0.8)

# ---- GraSP: Hg by double backprop, T = 200, all examples (the code's two halves: checked below)
T = 200.0


def grasp_scores(xs, ls, halves):
    ws = [k1.clone().requires_grad_(True), k2.clone().requires_grad_(True)]
    if halves:
        n = xs.shape[0] // 2
        parts = [(xs[:n], ls[:n]), (xs[n:], ls[n:])]
    else:
        parts = [(xs, ls)]
    gw = None
    for xi, li in parts:
        gp = torch.autograd.grad(loss_fn(ws, xi, li, T), ws)
        gw = list(gp) if gw is None else [a + b for a, b in zip(gw, gp)]
    for xi, li in parts:
        gf = torch.autograd.grad(loss_fn(ws, xi, li, T), ws, create_graph=True)
        z = sum((gwi.detach() * gfi).sum() for gwi, gfi in zip(gw, gf))
        z.backward()
    return [-wi.detach() * wi.grad for wi in ws]  # S = -theta * Hg


grasp_S = grasp_scores(x, labels, halves=False)
grasp_S_code = grasp_scores(x, labels, halves=True)
for a, b in zip(grasp_S, grasp_S_code):  # equal halves: the code's S is 4x the mean-loss S
    assert torch.allclose(b, 4 * a, rtol=1e-10, atol=1e-14), 'halves scaling'
# remove the largest S == keep the largest -S; magnitude variant keeps the largest |S|
grasp_mask_paper = global_keep([-s for s in grasp_S], 0.8)
grasp_mask_magnitude = global_keep([torch.abs(s) for s in grasp_S], 0.8)

# ---- masks and weights for one dynamic update (layer fc1 kernel [8, 6] = 48 entries, 50% active)
gen = torch.Generator().manual_seed(7)
perm = torch.randperm(48, generator=gen)
mask0 = torch.zeros(48, dtype=DT)
mask0[perm[:24]] = 1
mask0_fc2 = torch.zeros(24, dtype=DT)
mask0_fc2[torch.randperm(24, generator=gen)[:12]] = 1
masks0 = [mask0.reshape(N_IN, N_HID), mask0_fc2.reshape(N_HID, N_OUT)]
wm = [k1 * masks0[0], k2 * masks0[1]]

# ---- SET: zeta = 0.3 of the positives and of the negatives closest to zero, regrow at the largest
# of the given uniform draws among positions empty after the drop
ZETA = 0.3


def py_round(v):  # half to even, as numpy/our roundHalfEven
    return int(round(v))


def set_update(w, m, draws):
    w, m, draws = w.reshape(-1), m.reshape(-1), draws.reshape(-1)
    new = m.clone()
    dropped = 0
    for sel in (lambda v: v >= 0, lambda v: v < 0):
        idx = [i for i in range(len(m)) if m[i] == 1 and sel(w[i])]
        k = py_round(ZETA * len(idx))
        idx.sort(key=lambda i: (abs(float(w[i])), i))
        for i in idx[:k]:
            new[i] = 0
        dropped += k
    cand = [i for i in range(len(m)) if new[i] == 0]
    cand.sort(key=lambda i: -float(draws[i]))
    grown = cand[:dropped]
    for i in grown:
        new[i] = 1
    newconn = [i for i in grown if m[i] == 0]
    return new, newconn, dropped


set_draws = [torch.rand(48, generator=gen, dtype=DT), torch.rand(24, generator=gen, dtype=DT)]
set_out = [set_update(wm[i], masks0[i], set_draws[i]) for i in range(2)]

# ---- RigL: one update at step 0 of a run (alpha = 0.3 at t = 0, cosine), dense gradient of the
# batch loss with respect to the masked weights
ALPHA = 0.3
wv = [wm[0].clone().requires_grad_(True), wm[1].clone().requires_grad_(True)]
rg = torch.autograd.grad(loss_fn(wv, x, labels), wv)


def rigl_update(w, m, grad, alpha):
    w, m, grad = w.reshape(-1), m.reshape(-1), grad.reshape(-1)
    n_ones = int(m.sum())
    n_prune = int(math.floor(alpha * n_ones))
    n_keep = n_ones - n_prune
    score_drop = torch.where(m == 1, torch.abs(w), torch.full_like(w, -1.0))
    keep_idx = torch.topk(score_drop, n_keep).indices
    mask1 = torch.zeros_like(m)
    mask1[keep_idx] = 1
    score_grow = torch.where(mask1 == 1, torch.full_like(grad, -1.0), torch.abs(grad))
    grow_idx = torch.topk(score_grow, n_prune).indices
    mask2 = torch.zeros_like(m)
    mask2[grow_idx] = 1
    newconn = [int(i) for i in grow_idx if m[i] == 0]
    return mask1 + mask2, sorted(newconn), n_prune


rigl_out = [rigl_update(wm[i], masks0[i], rg[i], ALPHA) for i in range(2)]

# cosine drop fraction at a few steps (T_end = 750, alpha0 = 0.3), for the schedule check
cosine = [[t, ALPHA / 2 * (1 + math.cos(math.pi * t / 750))] for t in (0, 100, 375, 600, 750)]

out = {
    'torch': torch.__version__,
    'model': {'fc1': {'kernel': flat(k1), 'bias': flat(b1), 'shape': [N_IN, N_HID]},
              'fc2': {'kernel': flat(k2), 'bias': flat(b2), 'shape': [N_HID, N_OUT]}},
    'batch': {'x': flat(x), 'labels': labels.tolist(), 'shape': [N_OUT * PER_CLASS, N_IN]},
    'snip': {'sparsity': 0.8, 'scores': [flat(s) for s in snip_scores], 'masks': [flat(m) for m in snip_mask]},
    'grasp': {'sparsity': 0.8, 'temperature': T, 'S': [flat(s) for s in grasp_S],
              'masksPaper': [flat(m) for m in grasp_mask_paper], 'masksMagnitude': [flat(m) for m in grasp_mask_magnitude]},
    'dynamic': {'masks': [flat(m) for m in masks0]},
    'set': {'zeta': ZETA, 'draws': [flat(d) for d in set_draws],
            'masks': [flat(o[0]) for o in set_out], 'newConnections': [o[1] for o in set_out], 'dropped': [o[2] for o in set_out]},
    'rigl': {'alpha': ALPHA, 'gradients': [flat(gi) for gi in rg],
             'masks': [flat(o[0]) for o in rigl_out], 'newConnections': [o[1] for o in rigl_out], 'dropped': [o[2] for o in rigl_out]},
    'cosine': cosine,
}
path = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'torch', 'sparse-training', 'fixtures.json')
with open(path, 'w') as f:
    json.dump(out, f)
print('wrote', os.path.normpath(path))
