#!/usr/bin/python3
"""Writes test/fixtures/torch/prune.json: fixed random weights and the masks that
torch.nn.utils.prune (PyTorch 1.13, Debian python3-torch) computes for them.

Run with the system python that has torch:  /usr/bin/python3 scripts/make-torch-fixtures.py
Weights are stored in torch layout (Linear [out, in], Conv2d [out, in, kh, kw]); the tests
transpose them to tfjs layout. float32 values are written as exact decimal doubles.
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.utils.prune as prune

torch.manual_seed(1234)


def flat(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def net():
    """conv 3->8 (3x3), fc1 128->20, fc2 20->12, with fixed random weights."""
    m = nn.ModuleDict({
        'conv': nn.Conv2d(3, 8, 3),
        'fc1': nn.Linear(128, 20),
        'fc2': nn.Linear(20, 12),
    })
    with torch.no_grad():
        for mod in m.values():
            mod.weight.copy_(torch.randn_like(mod.weight))
    return m


base = net()
weights = {k: {'shape': list(v.weight.shape), 'values': flat(v.weight)} for k, v in base.items()}
cases = []


def fresh():
    m = net()
    for k, v in m.items():
        with torch.no_grad():
            v.weight.copy_(base[k].weight)
    return m


def masks_of(m, names):
    return {k: flat(getattr(m[k], 'weight_mask')) for k in names}


# layerwise magnitude: l1_unstructured on each layer separately
m = fresh()
for k, amount in [('conv', 0.5), ('fc1', 0.37), ('fc2', 0.8)]:
    prune.l1_unstructured(m[k], 'weight', amount=amount)
    cases.append({'kind': 'l1_unstructured', 'layer': k, 'amount': amount, 'mask': flat(m[k].weight_mask)})

# global magnitude over all three
m = fresh()
prune.global_unstructured([(m[k], 'weight') for k in ['conv', 'fc1', 'fc2']],
                          pruning_method=prune.L1Unstructured, amount=0.6)
cases.append({'kind': 'global_unstructured', 'amount': 0.6, 'masks': masks_of(m, ['conv', 'fc1', 'fc2'])})

# L2-structured: rows of a Linear (output units), conv filters (dim 0); L1 over conv input channels (dim 1)
for k, n, dim, amount in [('fc1', 2, 0, 0.4), ('fc2', 2, 0, 0.5), ('conv', 2, 0, 0.5), ('conv', 1, 1, 0.34)]:
    m = fresh()
    prune.ln_structured(m[k], 'weight', amount=amount, n=n, dim=dim)
    cases.append({'kind': 'ln_structured', 'layer': k, 'n': n, 'dim': dim, 'amount': amount, 'mask': flat(m[k].weight_mask)})

# repeated pruning composes: amount is relative to the remaining weights
m = fresh()
prune.l1_unstructured(m['fc1'], 'weight', amount=0.5)
prune.l1_unstructured(m['fc1'], 'weight', amount=0.5)
cases.append({'kind': 'l1_unstructured_twice', 'layer': 'fc1', 'amount': 0.5, 'mask': flat(m['fc1'].weight_mask)})

# random_unstructured: how many entries torch prunes for a given size and amount
counts = []
for size in [1, 2, 3, 5, 10, 16, 25, 100, 257]:
    for amount in [0.0, 0.1, 0.25, 0.3, 0.5, 0.7, 0.9, 0.95]:
        lin = nn.Linear(size, 1, bias=False)
        prune.random_unstructured(lin, 'weight', amount=amount)
        counts.append({'size': size, 'amount': amount, 'pruned': int((lin.weight_mask == 0).sum())})
cases.append({'kind': 'random_unstructured_counts', 'counts': counts})

out = {'torch': torch.__version__, 'seed': 1234, 'weights': weights, 'cases': cases}
path = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'torch', 'prune.json')
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, 'w') as f:
    json.dump(out, f)
print('wrote', os.path.normpath(path), 'with', len(cases), 'cases')
