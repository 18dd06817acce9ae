#!/usr/bin/python3
"""Writes test/fixtures/torch/second-order/mlp.json: reference numbers for the second-order
pruning methods (OBD, L-OBS, WoodFisher) on a fixed small MLP and batch, in float64.

Run with the system python that has torch (Debian python3-torch 1.13):
    /usr/bin/python3 scripts/torch-fixtures/second-order.py
The tests (test/prune/methods/second-order/torch.test.ts) read the committed JSON; CI needs no torch.

Model: 6 -> fc1 5 (relu) -> fc2 4 (relu) -> fc3 3 (logits), biases, softmax cross-entropy (mean),
a batch of 16 examples. Weights are stored in torch layout ([out, in]); float32-representable
values (the tfjs model holds float32) written as exact decimal doubles.

Everything here is written from the papers' formulas, independently of the TypeScript code:
- OBD: exact Hessian diagonal (torch.autograd.functional.hessian), LeCun's Gauss-Newton diagonal
  (backward recursion, off-diagonal terms dropped), empirical Fisher diagonal (per-example
  gradients by a loop), saliencies 1/2 h w^2.
- L-OBS: Psi = (1/n) sum y^ y^T (+ damping I), its inverse, sensitivities w^2/(2 [Psi^-1]_ii),
  the walk in ascending sensitivity with delta = -(w/[Psi^-1]_ii) Psi^-1[:, i] on fan-in + bias,
  layerwise sparsity 0.5.
- WoodFisher: per-example gradients, blocks of c consecutive entries of the [out, in]-flattened
  kernel, F = damp I + (1/N) G^T G, inverse by the Woodbury recursion (and directly), scores
  w^2/[F^-1]_qq, global selection at sparsity 0.5, summed OBS update.
"""
import json
import os

import torch

torch.manual_seed(7)
torch.set_default_dtype(torch.float64)

SIZES = [6, 5, 4, 3]
N = 16


def f32(t):
    return t.to(torch.float32).to(torch.float64)


Ws = [f32(torch.randn(SIZES[i + 1], SIZES[i]) * 0.7) for i in range(3)]
Bs = [f32(torch.randn(SIZES[i + 1]) * 0.2) for i in range(3)]
X = f32(torch.randn(N, SIZES[0]))
labels = torch.randint(0, SIZES[-1], (N,))
Y = torch.nn.functional.one_hot(labels, SIZES[-1]).to(torch.float64)


def forward(ws, bs, x, record=None):
    h = x
    for l in range(3):
        if record is not None:
            record.append(h)
        z = h @ ws[l].T + bs[l]
        if record is not None:
            record.append(z)
        h = torch.relu(z) if l < 2 else z
    return h


def loss_fn(ws, bs, x, y):
    logits = forward(ws, bs, x)
    return -(y * torch.log_softmax(logits, -1)).sum(-1).mean()


def flat(t):
    return [float(v) for v in t.reshape(-1).tolist()]


# ---------------------------------------------------------------- OBD diagonals
sizes = [w.numel() for w in Ws]


def loss_of_flat(v):
    parts = torch.split(v, sizes)
    ws = [p.reshape(W.shape) for p, W in zip(parts, Ws)]
    return loss_fn(ws, Bs, X, Y)


theta = torch.cat([w.reshape(-1) for w in Ws])
H = torch.autograd.functional.hessian(loss_of_flat, theta)
exact_diag = torch.split(torch.diagonal(H), sizes)


def per_example_grads(ws, bs):
    out = []
    for n in range(N):
        wv = [w.clone().requires_grad_(True) for w in ws]
        l = loss_fn(wv, bs, X[n:n + 1], Y[n:n + 1])
        gs = torch.autograd.grad(l, wv)
        out.append([g.detach() for g in gs])
    return out


peg = per_example_grads(Ws, Bs)
fisher_diag = [sum(peg[n][l] ** 2 for n in range(N)) / N for l in range(3)]

# Gauss-Newton (LeCun) diagonal: output curvature p(1-p), backward with squares
rec = []
logits = forward(Ws, Bs, X, rec)
xs = rec[0::2]
zs = rec[1::2]
p = torch.softmax(logits, -1)
h = p * (1 - p)  # [N, K], per example
gn = [None] * 3
for l in (2, 1, 0):
    gn[l] = (h.T @ (xs[l] ** 2)) / N  # [out, in]
    if l > 0:
        fprime = (zs[l - 1] > 0).to(torch.float64)
        h = fprime ** 2 * (h @ (Ws[l] ** 2))

obd = {
    'exact': [flat(d.reshape(W.shape)) for d, W in zip(exact_diag, Ws)],
    'gaussNewton': [flat(g) for g in gn],
    'fisher': [flat(f) for f in fisher_diag],
}

# ---------------------------------------------------------------- L-OBS
LOBS_DAMP = 1e-6
LOBS_SPARSITY = 0.5
lobs_layers = []
for l in range(3):
    y = torch.cat([xs[l], torch.ones(N, 1)], 1)
    psi = y.T @ y / N
    psi_inv = torch.linalg.inv(psi + LOBS_DAMP * torch.eye(psi.shape[0]))
    W = Ws[l]
    aug = torch.cat([W.T, Bs[l][None, :]], 0).clone()  # [in + 1, out]
    m = W.shape[1]
    sens = (W.T ** 2) / (2 * torch.diagonal(psi_inv)[:m, None])  # [in, out]
    count = round(LOBS_SPARSITY * W.numel())
    order = torch.argsort(sens.reshape(-1))[:count].tolist()
    mask = torch.ones(m, W.shape[0])
    order_sorted = sorted(order, key=lambda k: (float(sens.reshape(-1)[k]), k))
    for k in order_sorted:
        i, o = divmod(k, W.shape[0])
        f = aug[i, o] / psi_inv[i, i]
        aug[:, o] -= f * psi_inv[:, i]
        aug[i, o] = 0.0
        mask[i, o] = 0
    aug[:m] *= mask
    lobs_layers.append({
        'psi': flat(psi), 'psiInverse': flat(psi_inv),
        'sensitivity': flat(sens.T),  # torch layout [out, in]
        'mask': flat(mask.T), 'kernel': flat(aug[:m].T), 'bias': flat(aug[m]),
    })

# ---------------------------------------------------------------- WoodFisher
WF_BLOCK = 4
WF_DAMP = 1e-3
WF_SPARSITY = 0.5
wf_layers = []
all_scores = []
for l in range(3):
    G = torch.stack([peg[n][l].reshape(-1) for n in range(N)])  # [N, P] in [out, in] order
    P = G.shape[1]
    blocks_w, blocks_d = [], []
    for s in range(0, P, WF_BLOCK):
        g = G[:, s:s + WF_BLOCK]
        c = g.shape[1]
        inv = torch.eye(c) / WF_DAMP
        for n in range(N):
            u = inv @ g[n]
            inv = inv - torch.outer(u, u) / (N + g[n] @ u)
        direct = torch.linalg.inv(WF_DAMP * torch.eye(c) + g.T @ g / N)
        blocks_w.append(inv)
        blocks_d.append(direct)
    diag = torch.cat([torch.diagonal(b) for b in blocks_w])
    w = Ws[l].reshape(-1)
    scores = w ** 2 / diag
    all_scores.append(scores)
    wf_layers.append({'blocksWoodbury': [flat(b) for b in blocks_w], 'blocksDirect': [flat(b) for b in blocks_d], 'scores': flat(scores)})

cat = torch.cat(all_scores)
count = round(WF_SPARSITY * cat.numel())
threshold_idx = torch.argsort(cat)[:count]
gmask = torch.ones(cat.numel())
gmask[threshold_idx] = 0
off = 0
for l in range(3):
    P = Ws[l].numel()
    mask = gmask[off:off + P]
    off += P
    w = Ws[l].reshape(-1).clone()
    blocks = [torch.tensor(b).reshape(int(len(b) ** 0.5), -1) for b in wf_layers[l]['blocksWoodbury']]
    delta = torch.zeros(P)
    for bi, inv in enumerate(blocks):
        s = bi * WF_BLOCK
        c = inv.shape[0]
        v = torch.zeros(c)
        for a in range(c):
            if mask[s + a] == 0:
                v[a] = -w[s + a] / inv[a, a]
        delta[s:s + c] = inv @ v
    wf_layers[l]['mask'] = flat(mask)
    wf_layers[l]['kernel'] = flat((w + delta) * mask)

out = {
    'torch': torch.__version__,
    'sizes': SIZES,
    'weights': [flat(w) for w in Ws],
    'biases': [flat(b) for b in Bs],
    'x': flat(X),
    'y': flat(Y),
    'obd': obd,
    'lobs': {'damping': LOBS_DAMP, 'sparsity': LOBS_SPARSITY, 'layers': lobs_layers},
    'woodfisher': {'blockSize': WF_BLOCK, 'damping': WF_DAMP, 'sparsity': WF_SPARSITY, 'layers': wf_layers},
}
path = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'torch', 'second-order', 'mlp.json')
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, 'w') as f:
    json.dump(out, f)
print('wrote', os.path.normpath(path))
