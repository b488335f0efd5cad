#!/usr/bin/python3
"""dynamics: E6 learning dynamics. Left: the training-loss curve (/results/loss_curve, the training-batch loss
per (batch, feature); entry k is step min(k*log_every, steps-1)) of every done replicate, log y. Right: the
final feature dimensionalities D_i of each replicate over the reference fractions.

KNOWN GAP: science.md E6 asks for every feature's D_i *over training*, so that D_i jumps between fractions can be
matched with the loss drops. A results file (schema tms-results/1) keeps only the final W, so this script shows
D_i at the end only; the loss curves carry the jumps. Closing the gap needs W snapshots at log_every in the
results file (e.g. /results/W_curve, grid x curve_len x n_max x m_max), which the store does not write yet.
The curves are training-batch losses, not the smooth full-batch evaluation loss science.md suggests.
One row per combination of the other grid dimensions (e.g. the zip group `setup`).
"""
import argparse

import numpy as np

import tmsio
from dstar import NAMED

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    tmsio.add_common_args(ap, replicate=False)
    ap.add_argument("--max-seeds", type=int, default=32, help="draw at most this many replicates per row")
    ap.add_argument("--linear-y", action="store_true", help="linear loss axis instead of log")
    ap.add_argument("--log-x", action="store_true", help="log step axis (early training in more detail)")
    ap.add_argument("--smooth", type=int, default=-1,
                    help="moving-average window in curve entries (default: 1/100 of the curve, 0 = raw only)")
    args = ap.parse_args(argv)
    plt = tmsio.setup_matplotlib()

    res = tmsio.Results(args.results)
    curves, dims = res.get("/results/loss_curve"), res.get("/metrics/dimensionality")
    sel = tmsio.select_from_args(res, args)
    rows = tmsio.rest_indices(res, [], sel)
    done = res.done()
    R = res.shape[-1]
    fig, axes = plt.subplots(len(rows), 2, figsize=(13, 3.6 * len(rows) + 0.4), squeeze=False,
                             gridspec_kw={"width_ratios": [2, 1]}, layout="constrained")
    for r, combo in enumerate(rows):
        a0, a1 = axes[r]
        drawn = 0
        for q in range(R):
            p = tuple(combo[d] if d != "replicate" else q for d in res.dims)
            if not done[p] or drawn >= args.max_seeds:
                continue
            drawn += 1
            steps, every = int(res.p("steps", p)), int(res.p("log_every", p))
            c = np.asarray(curves[p], dtype=np.float64)
            k = np.arange(len(c))
            x = np.minimum(k * every, steps - 1)
            ok = np.isfinite(c)
            xs, cs = x[ok], c[ok]
            win = args.smooth if args.smooth >= 0 else max(1, len(cs) // 100)
            if win > 1 and len(cs) > win:
                # the curve is the noisy training-batch loss: average log-loss over a window to show the drops
                a0.plot(xs, cs, lw=0.4, color=f"C{q % 10}", alpha=0.15)
                sm = np.exp(np.convolve(np.log(np.maximum(cs, 1e-30)), np.ones(win) / win, mode="valid"))
                a0.plot(xs[win // 2:win // 2 + len(sm)], sm, lw=1.0, color=f"C{q % 10}")
            else:
                a0.plot(xs, cs, lw=0.7, color=f"C{q % 10}", alpha=0.8)
            n, m = res.nm(p)
            d = dims[p][:n]
            a1.scatter(np.full(n, q) + np.random.default_rng(q).uniform(-0.25, 0.25, n), d, s=3, color=f"C{q % 10}")
        if not args.linear_y:
            a0.set_yscale("log")
        if args.log_x:
            a0.set_xscale("symlog", linthresh=max(1, int(res.p("log_every", p)) if drawn else 1))
        a0.set_xlabel("step")
        a0.set_ylabel("training loss" + (f"\n{tmsio.cell_label(res, combo)}" if combo else ""), fontsize=8)
        a0.set_title(f"{drawn} seeds (faint: raw training-batch loss; line: moving average of log loss)",
                     fontsize=8)
        for f in NAMED:
            a1.axhline(f, color="C3", lw=0.5, alpha=0.5)
        a1.set_xlabel("replicate")
        a1.set_ylabel("final D_i")
        a1.set_ylim(-0.03, 1.05)
        a1.set_title("D_i at the end only (no W snapshots in the results file)", fontsize=8)
    tmsio.save(fig, args, f"{res.attr('sweep_name')}: learning dynamics")
    return 0


if __name__ == "__main__":
    tmsio.run_main(main)
