"""Which BLAS the PyTorch benchmark peer really runs on, and with how many threads.

Debian's python3-torch calls whatever libblas.so.3 the alternatives system points at: the
reference BLAS (about 8 GFLOP/s on a 1024^3 matmul) unless an optimised one such as
libopenblas0-pthread (about 230 GFLOP/s per core) is installed. A benchmark whose PyTorch column
ran on the reference BLAS flatters us, so every peer reports the library it actually loaded
(read from /proc/self/maps, which shows the file behind the symlinks) next to its results.

Usage as a script (for checks): /usr/bin/python3 bench/peer_blas.py  -> prints one JSON object.
"""
import ctypes
import json
import os

# Environment variables the peer must NOT see (bench/torch-peer.ts removes them); reported so a
# reader can check that the peer really ran without them.
STALE_OPENBLAS_VARS = ('OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE')


def loaded_blas_libraries():
    """Paths of the BLAS libraries mapped into this process, in the order first seen."""
    paths = []
    try:
        with open('/proc/self/maps') as maps:
            for line in maps:
                parts = line.split()
                if len(parts) < 6:
                    continue
                path = parts[5]
                name = os.path.basename(path)
                if ('blas' in name or 'mkl_' in name or 'blis' in name) and 'lapack' not in name and path not in paths:
                    paths.append(path)
    except OSError:
        pass
    return paths


def classify(path):
    """A human name for a BLAS library path (Debian's alternatives keep each in its own folder)."""
    p = path.lower()
    if 'openblas' in p:
        return 'OpenBLAS'
    if 'mkl' in p:
        return 'Intel MKL'
    if 'blis' in p:
        return 'BLIS'
    if 'atlas' in p:
        return 'ATLAS'
    if '/blas/' in p or os.path.basename(p).startswith('libblas'):
        return 'reference BLAS (netlib, unoptimised)'
    return 'unknown BLAS'


def openblas_details(path):
    """OpenBLAS's own build string (core type, threading) and thread count, when the library has them."""
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return None, None
    config = None
    threads = None
    if hasattr(lib, 'openblas_get_config'):
        lib.openblas_get_config.restype = ctypes.c_char_p
        config = lib.openblas_get_config().decode(errors='replace').strip()
    if hasattr(lib, 'openblas_get_num_threads'):
        lib.openblas_get_num_threads.restype = ctypes.c_int
        threads = int(lib.openblas_get_num_threads())
    return config, threads


def torch_build_blas(torch_module):
    """The BLAS torch was built against, from `torch.__config__.show()` (e.g. `open`, `mkl`, `generic`)."""
    try:
        for part in torch_module.__config__.show().replace('\n', ',').split(','):
            key, _, value = part.strip().partition('=')
            if key == 'BLAS_INFO':
                return value.strip()
    except Exception:  # an odd build must not break the benchmark; the maps line still reports
        pass
    return None


def blas_info(torch_module=None):
    """What this process's BLAS is: library path and name, OpenBLAS config/threads, torch threads, stale env."""
    libraries = loaded_blas_libraries()
    library = libraries[0] if libraries else None
    config, blas_threads = openblas_details(library) if library else (None, None)
    return {
        'library': library,
        'name': classify(library) if library else None,
        'all_libraries': libraries,
        'openblas_config': config,
        'blas_threads': blas_threads,
        'torch_threads': torch_module.get_num_threads() if torch_module is not None else None,
        'torch_build_blas': torch_build_blas(torch_module) if torch_module is not None else None,
        'stale_env': {k: os.environ.get(k) for k in STALE_OPENBLAS_VARS},
    }


if __name__ == '__main__':
    print(json.dumps(blas_info()))
