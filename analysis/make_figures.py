#!/usr/bin/python3
"""make_figures: draws every figure of one experiment (SCIENCE.md section 5) from its results file (+ post file)
into a directory, by calling the figure scripts beside this file. It computes nothing itself and never trains or
post-processes: run `tms-sweep run` and `tms-post` first.

usage: make_figures.py EXPERIMENT RESULTS.h5 [--post POST.h5] -o OUTDIR
EXPERIMENT: default e0 e1 e2 e3 e4 e5 e6 e7 e8 e9 (default = e0: the README's main job)
Exit code: 0 all figures written, 1 some figure failed (the others are still drawn), 2 bad input.
"""
import argparse
import os
import subprocess
import sys

import numpy as np

import tmsio

HERE = os.path.dirname(os.path.abspath(__file__))


def jobs(exp, res, post):
    """(output name, script, extra args) of the experiment's figures."""
    p = ["--post", post] if post else []
    j = []
    if exp in ("e0", "default"):
        j += [("embeddings", "embeddings_2d.py", []), ("dstar", "dstar.py", [])]
    elif exp == "e1":
        size_dims = [d for d in res.dims if d not in ("variant", "density", "sparsity", "replicate", "optimizer")]
        if size_dims:
            d = size_dims[0]
            for k in range(res.shape[res.dim_index(d)]):
                j.append((f"gram_{d}{k}", "gram_bars.py", ["--select", f"{d}=#{k}"] +
                          (["--select", "optimizer=#0"] if "optimizer" in res.dims else [])))
        else:
            j.append(("gram", "gram_bars.py", []))
        j.append(("represented", "represented.py", p))
        j.append(("dstar", "dstar.py", ["--select", "variant=relu_out"] if "variant" in res.dims else []))
    elif exp == "e2":
        j += [("phase", "phase_diagram.py", p), ("phase_inverse", "phase_diagram.py", p + ["--inverse"])]
    elif exp == "e3":
        j += [("dstar", "dstar.py", []), ("dstar_all_seeds", "dstar.py", ["--all-seeds"])]
    elif exp == "e4":
        j += [("perturbation", "perturbation.py", p),
              ("embeddings", "embeddings_2d.py", ["--canonical", "--x", "last_density"])]
    elif exp == "e5":
        # m = 2 models as embeddings (the pair sweeps), larger ones as Gram matrices (e5_local)
        m_all = res.param("n_hidden")
        if (m_all == 2).any():
            j.append(("embeddings", "embeddings_2d.py", []))
        if (m_all != 2).any():
            zips = [d for d in res.dims if res.zip_members(d) and "n_hidden" in res.zip_members(d)]
            if zips:
                d, m = zips[0], res.zip_members(zips[0])["n_hidden"]
                for k in range(res.shape[res.dim_index(d)]):
                    if int(m[k]) != 2:
                        j.append((f"gram_{d}{k}", "gram_bars.py", ["--select", f"{d}=#{k}"]))
            else:
                others = [d for d in res.dims if d not in ("density", "sparsity", "replicate")]
                if others:  # one figure per value of the first other dimension, rows over the rest
                    d = others[0]
                    for k in range(res.shape[res.dim_index(d)]):
                        j.append((f"gram_{d}{k}", "gram_bars.py", ["--select", f"{d}=#{k}"]))
                else:
                    j.append(("gram", "gram_bars.py", []))
            # the correlated sets alone (e5_local: features 0 .. 19 of 40), where G's blocks can be read
            big = m_all != 2
            sets = (res.param("correlated_sets")[big] * res.param("set_size")[big]).astype(int)
            n_all = res.param("n_features")[big].astype(int)
            if not zips and len(np.unique(sets)) == 1 and 0 < sets.flat[0] < n_all.min():
                j.append(("gram_sets", "gram_bars.py", ["--features", f"0:{sets.flat[0]}"]))
    elif exp == "e6":
        j.append(("dynamics", "dynamics.py", p))
    elif exp == "e7":
        j += [("vulnerability", "vulnerability.py", p), ("dstar", "dstar.py", [])]
    elif exp == "e8":
        j += [("stacks", "neuron_stacks.py", p), ("stacks_superposition", "neuron_stacks.py",
                                                   p + ["--color-by", "superposition"]),
              ("loss_spread", "loss_spread.py", [])]
    elif exp == "e9":
        j += [("stacks_w1", "neuron_stacks.py", p), ("stacks_w2", "neuron_stacks.py", p + ["--layer", "w2"])]
    return j


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("experiment", choices=["default"] + [f"e{i}" for i in range(10)])
    ap.add_argument("results")
    ap.add_argument("--post")
    ap.add_argument("-o", "--outdir", required=True)
    args = ap.parse_args(argv)
    res = tmsio.Results(args.results)
    os.makedirs(args.outdir, exist_ok=True)
    failed = 0
    for name, script, extra in jobs(args.experiment, res, args.post):
        out = os.path.join(args.outdir, f"{args.experiment}_{name}.png")
        cmd = [sys.executable, os.path.join(HERE, script), args.results, "-o", out] + extra
        r = subprocess.run(cmd)
        if r.returncode != 0:
            print(f"make_figures: {script} failed (exit {r.returncode}): {' '.join(cmd)}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    tmsio.run_main(main)
