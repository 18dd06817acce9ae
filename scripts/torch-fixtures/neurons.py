#!/usr/bin/python3
"""Reference values for the data-driven neuron methods (issue 13, method family 1).

Writes test/fixtures/torch/neurons/reference.json. Run from the repository root with the
system python that has torch (Debian python3-torch 1.13):

    /usr/bin/python3 scripts/torch-fixtures/neurons.py

Two fixed models with fixed calibration inputs, stored in tfjs layout (Dense [in, out], Conv2D
[kh, kw, in, out]) as float32 values written as exact doubles:
- mlp: 6 → fc1 8 relu → fc2 5 relu → fc3 3 (fc1 has a dead unit, a constant unit and a near
  copy of another unit, so every criterion has something to find);
- cnn: 10×10×1 → conv1 4@3×3 relu valid → maxpool 2 → conv2 3@3×3 relu valid → flatten → fc 4.

The forward passes run in torch (NCHW convolutions, maxpool, channels-last flatten as tfjs does),
independently of prunelab. From the tensors each kernel layer reads, the script computes per-unit
statistics in float64, then the result of each method at sparsity 0.5 per layer (layerwise, the
classifier kept): which units go, and the effective weights (value × mask) and biases after the
method's update. The methods are written here from their papers' formulas, not from prunelab:
- variance: lowest variance (around per-position means after Flatten), means folded into the bias;
- apoz: highest fraction of exact zeros, removed; mean-activation: lowest mean, removed;
- unit-norm: smallest l1 norm of [W; b], removed;
- neuron-merging (Kim et al. 2020): keep largest l1 of [W; b], merge into max-cosine kept unit
  with scale ||p||/||q|| if cosine >= 0.45, similarities on the weights before the call;
- data-free-merge (Srinivas & Babu 2015): greedy min <a_j^2> ||W_i - W_j||^2 (bias appended), a_i += a_j;
- correlation-merge: greedy min ||a_j||^2 var_j (1 - rho_ij^2), a_i += alpha a_j, bias += beta a_j.
Selection among equal scores: the lowest index goes first (prunelab's rule).
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(20261129)
OUT = os.path.join('test', 'fixtures', 'torch', 'neurons', 'reference.json')


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def half_even(x):
    return int(np.round(x))  # numpy rounds half to even


# ----------------------------------------------------------------------------------- models
def mlp_weights():
    w = {
        'fc1': {'kernel': rng.normal(0, 0.6, (6, 8)), 'bias': rng.normal(0.1, 0.2, 8)},
        'fc2': {'kernel': rng.normal(0, 0.5, (8, 5)), 'bias': rng.normal(0.1, 0.2, 5)},
        'fc3': {'kernel': rng.normal(0, 0.5, (5, 3)), 'bias': rng.normal(0, 0.2, 3)},
    }
    w['fc1']['bias'][3] = -10.0                       # dead unit: always 0 after relu
    w['fc1']['kernel'][:, 6] = 0.0                    # constant unit: relu(0.7) = 0.7
    w['fc1']['bias'][6] = 0.7
    w['fc1']['kernel'][:, 5] = 1.5 * w['fc1']['kernel'][:, 2] + rng.normal(0, 0.05, 6)  # near 1.5 × unit 2
    w['fc1']['bias'][5] = 1.5 * w['fc1']['bias'][2]
    w['fc2']['kernel'][:, 4] = 0.8 * w['fc2']['kernel'][:, 1] + rng.normal(0, 0.05, 8)
    w['fc2']['bias'][4] = 0.8 * w['fc2']['bias'][1]
    return {k: {n: f32(v) for n, v in d.items()} for k, d in w.items()}


def cnn_weights():
    w = {
        'conv1': {'kernel': rng.normal(0, 0.4, (3, 3, 1, 4)), 'bias': rng.normal(0.05, 0.1, 4)},
        'conv2': {'kernel': rng.normal(0, 0.3, (3, 3, 4, 3)), 'bias': rng.normal(0.4, 0.1, 3)},
        'fc': {'kernel': rng.normal(0, 0.4, (12, 4)), 'bias': rng.normal(0, 0.1, 4)},
    }
    w['conv1']['kernel'][..., 2] = 1.3 * w['conv1']['kernel'][..., 1] + rng.normal(0, 0.03, (3, 3, 1))  # near 1.3 × filter 1
    w['conv1']['bias'][2] = 1.3 * w['conv1']['bias'][1]
    return {k: {n: f32(v) for n, v in d.items()} for k, d in w.items()}


def t(a):
    return torch.tensor(a)


def mlp_forward(w, x):
    """Returns the tensors each kernel layer reads, and the output."""
    h1 = F.relu(t(x) @ t(w['fc1']['kernel']) + t(w['fc1']['bias']))
    h2 = F.relu(h1 @ t(w['fc2']['kernel']) + t(w['fc2']['bias']))
    out = h2 @ t(w['fc3']['kernel']) + t(w['fc3']['bias'])
    return {'fc2': h1.numpy(), 'fc3': h2.numpy()}, out.numpy()


def conv_nhwc(x, kernel, bias):
    # tfjs [kh, kw, in, out] -> torch [out, in, kh, kw]; NHWC -> NCHW and back
    k = t(kernel).permute(3, 2, 0, 1)
    y = F.conv2d(t(x).permute(0, 3, 1, 2), k, t(bias))
    return y.permute(0, 2, 3, 1)


def cnn_forward(w, x):
    a1 = F.relu(conv_nhwc(x, w['conv1']['kernel'], w['conv1']['bias']))
    p1 = F.max_pool2d(a1.permute(0, 3, 1, 2), 2).permute(0, 2, 3, 1)
    a2 = F.relu(conv_nhwc(p1.numpy(), w['conv2']['kernel'], w['conv2']['bias']))
    flat = a2.reshape(a2.shape[0], -1)  # channels-last flatten, as tfjs
    out = flat @ t(w['fc']['kernel']) + t(w['fc']['bias'])
    return {'conv2': p1.numpy(), 'fc': flat.numpy()}, out.numpy()


# ------------------------------------------------------------------------------------ links
class Link:
    """Producer P (units = last axis), consumer Q read through rows s*U + j of its [inner, out] kernel."""

    def __init__(self, w, producer, consumer, kind):
        self.producer, self.consumer, self.kind = producer, consumer, kind
        pk = w[producer]['kernel']
        self.U = pk.shape[-1]
        self.P = pk.reshape(-1, self.U).copy()          # [innerP, U]
        self.pb = w[producer]['bias'].copy()
        qk = w[consumer]['kernel']
        self.qshape = qk.shape
        self.out = qk.shape[-1]
        self.Q = qk.reshape(-1, self.out).copy()        # [innerQ, out]
        self.qb = w[consumer]['bias'].copy()
        self.rows_per_unit = self.Q.shape[0] // self.U

    def rows(self, j):
        return [s * self.U + j for s in range(self.rows_per_unit)]


def statistics(link, consumed):
    n = consumed.shape[0]
    x = consumed.reshape(n, -1, link.U)                 # [N, positions, U]
    mean = x.mean(axis=(0, 1))
    variance = ((x - mean) ** 2).mean(axis=(0, 1))
    pos_mean = x.mean(axis=0)                           # [positions, U]
    if link.kind == 'flatten':
        fold_mean = pos_mean.reshape(-1)                # row s*U + j
        fold_var = ((x - pos_mean) ** 2).mean(axis=(0, 1))
        centred = (x - pos_mean).reshape(-1, link.U)
    else:
        fold_mean = np.tile(mean, link.rows_per_unit)
        fold_var = variance
        centred = (x - mean).reshape(-1, link.U)
    zero = (x == 0).mean(axis=(0, 1))
    cov = centred.T @ centred / centred.shape[0]
    return {'mean': mean, 'variance': variance, 'foldVariance': fold_var, 'foldMean': fold_mean, 'zeroFraction': zero, 'cov': cov}


def lowest(scores, k):
    """Indices of the k lowest scores (float32, as prunelab compares them), lowest index first among ties."""
    s = np.asarray(scores, dtype=np.float32)
    order = sorted(range(len(s)), key=lambda i: (s[i], i))
    return sorted(order[:k])


def drop(link, j):
    for r in link.rows(j):
        link.Q[r, :] = 0.0


def fold(link, j, fold_mean):
    for r in link.rows(j):
        link.qb += fold_mean[r] * link.Q[r, :]
    drop(link, j)


def merge(link, j, i, alpha, beta=None):
    """a_i += alpha a_j; bias += beta_r a_j (beta per consumer row, or None)."""
    for s in range(link.rows_per_unit):
        rj, ri = s * link.U + j, s * link.U + i
        if beta is not None:
            link.qb += beta[rj] * link.Q[rj, :]
        link.Q[ri, :] += alpha * link.Q[rj, :]
    drop(link, j)


def fan_out(link, j):
    return np.concatenate([link.Q[r, :] for r in link.rows(j)])


def greedy(n, dist, weight, do_merge, steps, donors=None):
    """Remove the donor j with the least weight(j) * min_i dist[i, j]; ties to the lower index."""
    alive = [True] * n
    w = [weight(j) for j in range(n)]
    seq = []
    for _ in range(steps):
        pick, pick_s, pick_i = -1, np.inf, -1
        for j in range(n):
            if not alive[j] or (donors is not None and j not in donors):
                continue
            bi, bd = -1, np.inf
            for i in range(n):
                if i != j and alive[i] and dist[i, j] < bd:
                    bi, bd = i, dist[i, j]
            s = w[j] * bd if bi >= 0 else np.inf
            if pick < 0 or s < pick_s:
                pick, pick_s, pick_i = j, s, bi
        if pick < 0:
            break
        alive[pick] = False
        do_merge(pick, pick_i)
        if pick_i >= 0:
            w[pick_i] = weight(pick_i)
        seq.append([pick, pick_i, float(pick_s)])
    return seq


def scores_from_sequence(n, seq):
    scores = np.zeros(n)
    running = 0.0
    removed = set()
    for j, _, s in seq:
        running = max(running, s if np.isfinite(s) else running)
        scores[j] = running
        removed.add(j)
    for j in range(n):
        if j not in removed:
            scores[j] = running * 2 + 1
    return scores


def fan_ins(link, with_bias=True):
    cols = link.P.T
    return np.concatenate([cols, link.pb[:, None]], axis=1) if with_bias else cols.copy()


# ----------------------------------------------------------------------------------- methods
def run_method(name, w, order, kinds, consumed):
    """Applies method `name` at sparsity 0.5 to every link in `order`; returns kept units and new weights."""
    w = {k: {n: v.copy() for n, v in d.items()} for k, d in w.items()}
    links = [Link(w, p, c, kind) for (p, c), kind in zip(order, kinds)]
    stats = [statistics(l, consumed[l.consumer]) for l in links]
    removed_all, detail = {}, {}
    producer_masks = {}
    for link, st in zip(links, stats):
        k = half_even(0.5 * link.U)
        if name == 'variance':
            scores = st['foldVariance']
        elif name == 'apoz':
            scores = 1 - st['zeroFraction']
        elif name == 'mean-activation':
            scores = st['mean']
        elif name in ('neuron-merging', 'unit-norm'):
            scores = np.abs(fan_ins(link)).sum(axis=1)
        elif name == 'data-free-merge':
            sim = Link(w, link.producer, link.consumer, link.kind)
            fi = fan_ins(sim)
            dist = ((fi[:, None, :] - fi[None, :, :]) ** 2).sum(axis=2)
            seq = greedy(link.U, dist, lambda j: np.mean(fan_out(sim, j) ** 2), lambda j, i: merge(sim, j, i, 1.0) if i >= 0 else drop(sim, j), link.U - 1)
            scores = scores_from_sequence(link.U, seq)
            detail[link.producer] = {'sequence': seq}
        elif name == 'correlation-merge':
            sim = Link(w, link.producer, link.consumer, link.kind)
            resid, slope = regression(st['cov'])
            seq = greedy(link.U, resid, lambda j: np.sum(fan_out(sim, j) ** 2), lambda j, i: merge(sim, j, i, slope[i, j]) if i >= 0 else drop(sim, j), link.U - 1)
            scores = scores_from_sequence(link.U, seq)
            detail[link.producer] = {'sequence': seq}
        removed = lowest(scores, k)
        removed_all[link.producer] = removed
        detail.setdefault(link.producer, {})['scores'] = [float(s) for s in scores]
        producer_masks[link.producer] = removed
    # updates, link by link in model order (a consumer's rows are edited before it acts as a producer)
    originals = [Link(w, p, c, kind) for (p, c), kind in zip(order, kinds)]
    for idx, (link, st) in enumerate(zip(links, stats)):
        removed = removed_all[link.producer]
        if idx > 0:  # this link's Q-side arrays must start from the previous link's edits of its producer? no: P is not edited by updates
            pass
        if name == 'variance':
            for j in removed:
                fold(link, j, st['foldMean'])
        elif name in ('apoz', 'mean-activation', 'unit-norm'):
            for j in removed:
                drop(link, j)
        elif name == 'neuron-merging':
            fi = fan_ins(originals[idx])
            kept = [j for j in range(link.U) if j not in removed]
            norms = np.linalg.norm(fi, axis=1)
            pairs = []
            for p in removed:
                cos = [fi[p] @ fi[q] / (norms[p] * norms[q]) for q in kept]
                q = kept[int(np.argmax(cos))]
                c = max(cos)
                if c >= 0.45:
                    merge(link, p, q, norms[p] / norms[q])
                    pairs.append([p, q, float(c), float(norms[p] / norms[q])])
                else:
                    drop(link, p)
                    pairs.append([p, -1, float(c), 0.0])
            detail[link.producer]['pairs'] = pairs
        elif name == 'data-free-merge':
            fi = fan_ins(originals[idx])
            dist = ((fi[:, None, :] - fi[None, :, :]) ** 2).sum(axis=2)
            detail[link.producer]['merges'] = greedy(link.U, dist, lambda j: np.mean(fan_out(link, j) ** 2), lambda j, i: merge(link, j, i, 1.0) if i >= 0 else drop(link, j), len(removed), set(removed))
        elif name == 'correlation-merge':
            resid, slope = regression(st['cov'])
            fm = st['foldMean']
            U = link.U

            def m(j, i, link=link, slope=slope, fm=fm, U=U):
                if i < 0:
                    fold(link, j, fm)
                    return
                a = slope[i, j]
                beta = np.array([fm[r] - a * fm[r - j + i] if r % U == j else 0.0 for r in range(len(fm))])
                merge(link, j, i, a, beta)
            detail[link.producer]['merges'] = greedy(U, resid, lambda j: np.sum(fan_out(link, j) ** 2), m, len(removed), set(removed))
        # the next link's producer is this link's consumer: carry the edited kernel and bias over
        if idx + 1 < len(links):
            nxt = links[idx + 1]
            nxt.P = link.Q.copy()
            nxt.pb = link.qb.copy()
    # effective weights: producers' removed columns masked
    result = {}
    for link in links:
        P = link.P.copy()
        P[:, removed_all[link.producer]] = 0.0
        result[link.producer] = {'kernel': P, 'bias': link.pb}
    last = links[-1]
    result[last.consumer] = {'kernel': last.Q, 'bias': last.qb}
    weights = {k: {'kernel': [float(x) for x in v['kernel'].reshape(-1)], 'bias': [float(x) for x in v['bias']]} for k, v in result.items()}
    shaped = {k: {'kernel': v['kernel'].reshape(w[k]['kernel'].shape), 'bias': v['bias']} for k, v in result.items()}
    return {'removed': removed_all, 'weights': weights, 'detail': detail}, shaped


def regression(cov):
    U = cov.shape[0]
    resid = np.zeros((U, U))
    slope = np.zeros((U, U))
    for i in range(U):
        vi = cov[i, i]
        for j in range(U):
            vj = cov[j, j]
            a = cov[i, j] / vi if vi > 1e-12 * max(vj, 1e-30) else 0.0
            slope[i, j] = a
            resid[i, j] = max(0.0, vj - a * cov[i, j])
    return resid, slope


def listify(st):
    return {k: [float(x) for x in np.asarray(v).reshape(-1)] for k, v in st.items()}


def case(name, w, x, forward, order, kinds, methods):
    consumed, out = forward(w, x)
    links = [Link(w, p, c, kind) for (p, c), kind in zip(order, kinds)]
    res = {
        'weights': {k: {n: [float(v) for v in a.reshape(-1)] for n, a in d.items()} for k, d in w.items()},
        'shapes': {k: list(d['kernel'].shape) for k, d in w.items()},
        'x': [float(v) for v in x.reshape(-1)],
        'xShape': list(x.shape),
        'output': [float(v) for v in out.reshape(-1)],
        'statistics': {l.producer: listify(statistics(l, consumed[l.consumer])) for l in links},
        'methods': {},
    }
    for m in methods:
        r, shaped = run_method(m, w, order, kinds, consumed)
        merged = {k: {n: v.copy() for n, v in d.items()} for k, d in w.items()}
        merged.update(shaped)
        _, out_m = forward(merged, x)
        r['output'] = [float(v) for v in out_m.reshape(-1)]
        res['methods'][m] = r
    return res


ALL = ['variance', 'apoz', 'mean-activation', 'unit-norm', 'neuron-merging', 'data-free-merge', 'correlation-merge']
x_mlp = f32(rng.normal(0, 1, (32, 6)))
x_cnn = f32(rng.uniform(0, 1, (16, 10, 10, 1)))
fixture = {
    'mlp': case('mlp', mlp_weights(), x_mlp, mlp_forward, [('fc1', 'fc2'), ('fc2', 'fc3')], ['dense', 'dense'], ALL),
    'cnn': case('cnn', cnn_weights(), x_cnn, cnn_forward, [('conv1', 'conv2'), ('conv2', 'fc')], ['conv', 'flatten'], ALL),
}
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, 'w') as f:
    json.dump(fixture, f)
print(f'wrote {OUT}')
