#!/usr/bin/env python3
"""Reference values of Welch's t-test (scipy.stats.ttest_ind, equal_var=False) and Holm's
correction (computed by hand from its definition) for test/compare/report.test.ts.
Needs scipy (not a dependency of the tests, which read the committed output). Run: python3 scripts/make-welch-fixtures.py > test/fixtures/stats/welch.json"""
import json
from scipy import stats

samples = [
    ([0.981, 0.983, 0.979], [0.975, 0.978, 0.976]),
    ([0.90, 0.91, 0.95, 0.89], [0.88, 0.92, 0.90]),
    ([0.5, 0.6], [0.55, 0.52, 0.58, 0.61, 0.49]),
    ([0.9812, 0.9799, 0.9805], [0.9812, 0.9799, 0.9805]),
]
cases = []
for a, b in samples:
    r = stats.ttest_ind(a, b, equal_var=False)
    cases.append({"a": a, "b": b, "t": float(r.statistic), "p": float(r.pvalue)})

def holm(p):
    order = sorted(range(len(p)), key=lambda i: p[i])
    out, running = [0.0] * len(p), 0.0
    for k, i in enumerate(order):
        running = max(running, min(1.0, (len(p) - k) * p[i]))
        out[i] = running
    return out

ps = [0.01, 0.04, 0.03, 0.005, 0.2]
print(json.dumps({"scipy": stats.__name__ + " " + __import__("scipy").__version__, "welch": cases, "holm": {"p": ps, "adjusted": holm(ps)}}, indent=1))
