"""Debian's jupyter_kernel_test suite against the prunelab kernel (started by jupyter_client).

Run by test/kernel/jupyter-protocol.test.ts with JUPYTER_PATH pointing at a fresh kernelspec.
"""
import unittest

import jupyter_kernel_test as jkt

PARETO = "pl.plot.pareto([{ sparsity: 0.5, accuracy: 0.9 }, { sparsity: 0.9, accuracy: 0.8 }])"


class PrunelabKernelTests(jkt.KernelTests):
    kernel_name = "prunelab"
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("something went wrong")'

    completion_samples = [
        {"text": "Math.ma", "matches": {"max"}},
        {"text": "%spars", "matches": {"sparsity"}},
        {"text": "%prune net magnitude --spars", "matches": {"--sparsity"}},
    ]
    complete_code_samples = ["1 + 1", "%seed 3", "const x = 1;\n%seed 4\nx"]
    incomplete_code_samples = ["function f() {", "const a = [1,", "%seed 1\nif (true) {"]
    invalid_code_samples = ["%nosuchmagic 1"]

    code_generate_error = 'throw new Error("boom")'
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"a" + "b"', "result": "'ab'"},
        {"code": "%lsmagic", "mime": "text/html"},
        {"code": PARETO, "mime": "application/vnd.plotly.v1+json"},
    ]
    code_display_data = [
        {"code": 'pl.display(pl.html("<b>hi</b>"))', "mime": "text/html"},
        {"code": "pl.display(" + PARETO + ")", "mime": "application/vnd.plotly.v1+json"},
    ]

    code_history_pattern = "6 *"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "Math.max"


if __name__ == "__main__":
    unittest.main()
