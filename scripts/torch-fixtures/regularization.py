#!/usr/bin/python3
"""PyTorch reference for the regularization methods (issue 15): penalty (L1 prox, L1 clip,
L2, group L1), ltp, l0 (hard-concrete) and sparse-vd, a few SGD steps each on a fixed tiny
MLP (4-6-3) and a tiny CNN (conv 1->3 3x3 on 6x6, dense 48->3), from the same initial values
and with the same noise (written to the fixture and replayed by the TypeScript test).

Run with the system python that has torch (Debian python3-torch, 1.13):
    /usr/bin/python3 scripts/torch-fixtures/regularization.py
It writes test/fixtures/torch/regularization/steps.json; test/prune/methods/regularization/
torch.test.ts reads it. Everything is in tfjs layout (Dense kernels [in, out], conv kernels
[kh, kw, in, out], images NHWC), so the test needs no transposes. float32 throughout; values
are written as exact decimal doubles.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.manual_seed(2015)
STEPS = 3
LR = 0.1
K1, K2, K3 = 0.63576, 1.87320, 1.48695
BETA, GAMMA, ZETA, EPS = 2.0 / 3.0, -0.1, 1.1, 1e-6


def flat(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def tensor(values, shape):
    return torch.tensor(values, dtype=torch.float32).reshape(shape)


# --- the models, written by hand in tfjs layout ---------------------------------------------
def mlp_init():
    return {
        'fc1/kernel': torch.randn(4, 6) * 0.6, 'fc1/bias': torch.randn(6) * 0.1,
        'fc2/kernel': torch.randn(6, 3) * 0.6, 'fc2/bias': torch.randn(3) * 0.1,
    }


def cnn_init():
    return {
        'conv/kernel': torch.randn(3, 3, 1, 3) * 0.5, 'conv/bias': torch.randn(3) * 0.1,
        'fc/kernel': torch.randn(48, 3) * 0.2, 'fc/bias': torch.randn(3) * 0.1,
    }


KERNELS = {'mlp': ['fc1/kernel', 'fc2/kernel'], 'cnn': ['conv/kernel', 'fc/kernel']}
ACT = {'fc1/kernel': 'relu', 'fc2/kernel': 'linear', 'conv/kernel': 'relu', 'fc/kernel': 'linear'}


def dense(x, k, b):
    return x @ k + b


def conv(x, k, b):
    # x NHWC, k [kh, kw, in, out] -> NHWC, 'valid'
    y = F.conv2d(x.permute(0, 3, 1, 2), k.permute(3, 2, 0, 1), None if b is None else b)
    return y.permute(0, 2, 3, 1)


def linear_of(name):
    return conv if name.startswith('conv') else dense


def act(name, y):
    return torch.relu(y) if ACT[name] == 'relu' else y


def forward(model, p, x, kernel_fn=None, layer_fn=None):
    """The model's logits; kernel_fn(name, w) gives the effective kernel, layer_fn replaces a layer."""
    h = x
    for name in KERNELS[model]:
        bname = name.replace('kernel', 'bias')
        if layer_fn is not None:
            h = layer_fn(name, h, p[name], p[bname])
        else:
            w = kernel_fn(name, p[name]) if kernel_fn else p[name]
            h = act(name, linear_of(name)(h, w, p[bname]))
        if name.startswith('conv'):
            h = h.reshape(h.shape[0], -1)
    return h


def ce(logits, y):
    return F.cross_entropy(logits, y)


# --- data ---------------------------------------------------------------------------------
X = {'mlp': torch.randn(8, 4), 'cnn': torch.rand(8, 6, 6, 1)}
Y = {'mlp': torch.tensor([0, 1, 2, 0, 1, 2, 0, 1]), 'cnn': torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])}
INIT = {'mlp': mlp_init(), 'cnn': cnn_init()}
cases = []


def run(case, model, extra, loss_fn, after_step=None):
    """SGD(LR) for STEPS steps on params (model init cloned) + extra variables; records losses/terms."""
    p = {k: v.clone().requires_grad_(True) for k, v in INIT[model].items()}
    ex = {k: v.clone().requires_grad_(True) for k, v in extra.items()}
    losses, terms = [], []
    for step in range(STEPS):
        data, term = loss_fn(p, ex, step)
        total = data + term
        losses.append(float(total))
        terms.append(float(term))
        grads = torch.autograd.grad(total, list(p.values()) + list(ex.values()), allow_unused=True)
        before = {k: v.detach().clone() for k, v in p.items()}
        with torch.no_grad():
            for v, g in zip(list(p.values()) + list(ex.values()), grads):
                if g is not None:
                    v -= LR * g
            if after_step:
                after_step(p, ex, before)
    case.update({
        'model': model, 'steps': STEPS, 'lr': LR, 'losses': losses, 'terms': terms,
        'final': {k: flat(v) for k, v in p.items()}, 'finalExtra': {k: flat(v) for k, v in ex.items()},
    })
    cases.append(case)


# --- penalty ------------------------------------------------------------------------------
def penalty_case(norm, groups, rule, lam):
    def loss_fn(p, ex, step):
        data = ce(forward('mlp', p, X['mlp']), Y['mlp'])
        term = 0
        for k in KERNELS['mlp']:
            w = p[k].detach() if rule == 'prox' else p[k]
            if groups == 'unit':
                term = term + lam * torch.sqrt((w ** 2).sum(0)).sum()
            elif norm == 'l1':
                term = term + lam * w.abs().sum()
            else:
                term = term + lam * (w ** 2).sum()
        return data, term

    def after(p, ex, before):
        for k in KERNELS['mlp']:
            w = p[k]
            if rule == 'prox' and groups == 'unit':
                norms = torch.sqrt((w ** 2).sum(0)).clamp_min(1e-12)
                w.mul_(torch.relu(1 - LR * lam / norms))
            elif rule == 'prox':
                w.copy_(torch.sign(w) * torch.relu(w.abs() - LR * lam))
            elif rule == 'clip':
                w.copy_(torch.where(before[k] * w < 0, torch.zeros_like(w), w))

    run({'method': 'penalty', 'options': {'norm': norm, 'groups': groups, 'rule': rule, 'lambda': lam}}, 'mlp', {}, loss_fn, after)


penalty_case('l1', 'weight', 'prox', 0.3)
penalty_case('l1', 'weight', 'clip', 0.3)
penalty_case('l2', 'weight', 'none', 0.2)
penalty_case('l1', 'unit', 'prox', 0.5)


# --- ltp ----------------------------------------------------------------------------------
def ltp_case(lam, temperature, kappa, init_threshold):
    scale = {k: float((INIT['mlp'][k] ** 2).mean()) for k in KERNELS['mlp']}
    total = sum(INIT['mlp'][k].numel() for k in KERNELS['mlp'])
    extra = {k: torch.tensor(init_threshold / kappa) for k in KERNELS['mlp']}

    def soft(p, ex, k):
        tau = scale[k] * kappa * ex[k]
        return torch.sigmoid((p[k] ** 2 - tau) / (scale[k] * temperature))

    def loss_fn(p, ex, step):
        data = ce(forward('mlp', p, X['mlp'], kernel_fn=lambda k, w: w * soft(p, ex, k)), Y['mlp'])
        term = sum(soft(p, ex, k).sum() for k in KERNELS['mlp']) * (lam / total)
        return data, term

    run({'method': 'ltp', 'options': {'lambda': lam, 'temperature': temperature, 'thresholdLrScale': kappa, 'initThreshold': init_threshold, 'minDensity': 0}},
        'mlp', extra, loss_fn)


ltp_case(0.5, 0.5, 10.0, 0.5)


# --- l0 -----------------------------------------------------------------------------------
def hc_sample(log_alpha, u):
    u = u * (1 - 2 * EPS) + EPS
    s = torch.sigmoid((torch.log(u) - torch.log(1 - u) + log_alpha) / BETA)
    return torch.clamp(s * (ZETA - GAMMA) + GAMMA, 0, 1)


def prob_nonzero(log_alpha):
    return torch.sigmoid(log_alpha - BETA * math.log(-GAMMA / ZETA))


def l0_case(model, lam, n, prior):
    groups = {k: (INIT[model][k].shape[0] if not k.startswith('conv') else INIT[model][k].shape[-1]) for k in KERNELS[model]}
    extra = {k: torch.randn(groups[k]) * 1.5 + 1.0 for k in KERNELS[model]}
    noise = {k: [flat(torch.rand(groups[k])) for _ in range(STEPS)] for k in KERNELS[model]}

    def loss_fn(p, ex, step):
        z = {k: hc_sample(ex[k], tensor(noise[k][step], [groups[k]])) for k in KERNELS[model]}

        def layer(name, h, w, b):
            if name.startswith('conv'):
                return act(name, linear_of(name)(h, w * z[name], b * z[name]))
            return act(name, linear_of(name)(h, w * z[name][:, None], b))

        data = ce(forward(model, p, X[model], layer_fn=layer), Y[model])
        term = 0
        for k in KERNELS[model]:
            w = p[k]
            if k.startswith('conv'):
                size = w[..., 0].numel()
                per = lam / n * size + prior / 2 / n * ((w ** 2).reshape(-1, groups[k]).sum(0) + p[k.replace('kernel', 'bias')] ** 2)
            else:
                per = lam / n * w.shape[1] + prior / 2 / n * (w ** 2).sum(1)
            term = term + (prob_nonzero(ex[k]) * per).sum()
        return data, term

    def after(p, ex, before):
        for k in KERNELS[model]:
            ex[k].clamp_(math.log(0.01), math.log(100))

    run({'method': 'l0', 'options': {'lambda': lam, 'trainSize': n, 'priorPrecision': prior}, 'initExtra': {k: flat(v) for k, v in extra.items()}, 'noise': noise},
        model, extra, loss_fn, after)


l0_case('mlp', 2.0, 8, 0.5)
l0_case('cnn', 2.0, 8, 0.5)


# --- sparse-vd ----------------------------------------------------------------------------
def vd_case(model, rw, n):
    extra = {k: torch.log(INIT[model][k] ** 2) + torch.randn_like(INIT[model][k]) * 2.5 for k in KERNELS[model]}
    out_shape = {}
    h = X[model]
    for k in KERNELS[model]:
        bk = k.replace('kernel', 'bias')
        h = linear_of(k)(h, INIT[model][k], INIT[model][bk])
        out_shape[k] = list(h.shape)
        if k.startswith('conv'):
            h = h.reshape(h.shape[0], -1)
    noise = {k: [flat(torch.randn(out_shape[k])) for _ in range(STEPS)] for k in KERNELS[model]}

    def log_alpha(theta, ls2):
        return torch.clamp(ls2 - torch.log(theta ** 2 + 1e-8), -8, 8)

    def loss_fn(p, ex, step):
        def layer(name, h, w, b):
            la = log_alpha(w, ex[name])
            kept = w * (la < 3).float()
            var = torch.exp(la) * kept ** 2
            lin = linear_of(name)
            mu = lin(h, kept, b)
            s2 = lin(h * h, var, torch.zeros_like(b))
            eps = tensor(noise[name][step], out_shape[name])
            return act(name, mu + torch.sqrt(s2 + 1e-8) * eps)

        data = ce(forward(model, p, X[model], layer_fn=layer), Y[model])
        term = 0
        for k in KERNELS[model]:
            la = log_alpha(p[k], ex[k])
            kl = -(K1 * torch.sigmoid(K2 + K3 * la) - 0.5 * F.softplus(-la) - K1)
            term = term + kl.sum() * (rw / n)
        return data, term

    run({'method': 'sparse-vd', 'options': {'klWeight': rw, 'trainSize': n}, 'initExtra': {k: flat(v) for k, v in extra.items()}, 'noise': noise},
        model, extra, loss_fn)


vd_case('mlp', 0.5, 100)
vd_case('cnn', 0.5, 100)

out = {
    'torch': torch.__version__,
    'data': {m: {'x': flat(X[m]), 'xShape': list(X[m].shape), 'y': [int(v) for v in Y[m]]} for m in X},
    'init': {m: {k: {'shape': list(v.shape), 'values': flat(v)} for k, v in INIT[m].items()} for m in INIT},
    'cases': cases,
}
path = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'torch', 'regularization', 'steps.json')
with open(path, 'w') as f:
    json.dump(out, f)
print(f'wrote {os.path.normpath(path)}: {len(cases)} cases')
