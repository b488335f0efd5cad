#!/usr/bin/python3
"""loss_spread: E8's loss distribution over the seeds of each level, and which seeds share the best's configuration.

One column per density level (dense left): every done seed as a dot at its final loss relative to the level's
best, loss / best - 1 (symlog y; the best sits at 0), the dashed line at 1% (the low-loss seeds of
`tms-post check`). A dot is orange when the seed has the best seed's weight configuration: d(W, W_best) = min over
permutations P of the neurons of ||W P - W_best||_F / ||W_best||_F < 0.1, the rule of src/3_files/post/check_e8.c
(neurons may be relabelled, features may not). Above each column: the seeds with the best's configuration, the
number of distinct configurations (greedy in loss order, as check_e8.c) and the best model's polysemantic neurons.
The paper keeps the lowest loss of 1,000 seeds; this shows what that choice hides: how far the other seeds are, and
whether the low-loss ones are one solution or many. It reads only /results (W, loss); m <= 8 (all permutations).
Rows are the other grid dimensions (use --select).
"""
import argparse
import itertools

import numpy as np

import tmsio
from embeddings_2d import default_x

SAME = 0.1  # check_e8.c's E8_SAME
LOW = 0.01  # check_e8.c's E8_LOW - 1


def config_dists(A, Bs, perms):
    """d(A, B) = min over neuron permutations of ||A[:, P] - B||_F / ||B||_F, for every B of Bs (k, n, m)."""
    Ap = np.moveaxis(A[:, perms], 1, 0)  # (P, n, m): A with its neurons permuted
    err = ((Ap[None] - Bs[:, None]) ** 2).sum(axis=(2, 3)).min(axis=1)  # (k,)
    nb = (Bs ** 2).sum(axis=(1, 2))
    return np.where(nb > 0, np.sqrt(err / np.where(nb > 0, nb, 1)), np.inf)


def configurations(Ws, perms):
    """Distinct configurations of Ws (in loss order): a model starts a new one when >= SAME from every first."""
    first = [Ws[0]]
    for W in Ws[1:]:
        if (config_dists(W, np.array(first), perms) >= SAME).all():
            first.append(W)
    return len(first)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    tmsio.add_common_args(ap, replicate=False)
    ap.add_argument("--x", help="grid dimension along the columns (default: the density axis)")
    args = ap.parse_args(argv)
    plt = tmsio.setup_matplotlib()

    res = tmsio.Results(args.results)
    loss = res.get("loss")
    res.get("W")
    done = res.done()
    xdim = args.x or default_x(res)
    xi_dim = res.dim_index(xdim)
    sel = tmsio.select_from_args(res, args)
    xs = tmsio.columns(res, xdim, sel, 64)
    rows = tmsio.rest_indices(res, [xdim, "replicate"], sel)
    R = res.shape[-1]
    fig, axes = plt.subplots(len(rows), 1, figsize=(1.3 * len(xs) + 2.5, 4.2 * len(rows)), squeeze=False,
                             layout="constrained")
    rng = np.random.default_rng(0)  # horizontal jitter only
    for r, combo in enumerate(rows):
        ax = axes[r, 0]
        labels = []
        for c, xi in enumerate(xs):
            pts = []
            for q in range(R):
                p = tuple(xi if k == xi_dim else (q if d == "replicate" else combo[d]) for k, d in enumerate(res.dims))
                if done[p] and np.isfinite(loss[p]):
                    pts.append(p)
            labels.append(res.axis_label(xdim, xi))
            if not pts:
                continue
            pts.sort(key=lambda p: loss[p])
            n, m = res.nm(pts[0])
            if m > 8:
                raise tmsio.TmsDataError(f"{res.path}: m = {m}: loss_spread compares all permutations of m <= 8 "
                                         "neurons")
            perms = np.array(list(itertools.permutations(range(m))))
            Ws = [res.W(p) for p in pts]
            best = loss[pts[0]]
            rel = np.array([loss[p] / best - 1 for p in pts])
            same = np.array([config_dists(W, Ws[0][None], perms)[0] < SAME for W in Ws])
            x = c + rng.uniform(-0.3, 0.3, len(pts))
            ax.scatter(x[~same], rel[~same], s=7, color="0.55", alpha=0.7, lw=0)
            ax.scatter(x[same], rel[same], s=9, color="C1", alpha=0.9, lw=0)
            a = np.abs(Ws[0])
            poly = int((((a >= 0.1 * a.max(axis=0, keepdims=True)) & (a > 0)).sum(0) > 1).sum())
            ax.text(c, 1.0, f"{int(same.sum())}/{len(pts)} best's\n{configurations(Ws, perms)} configs\n"
                    f"best: {poly}/{m} poly", transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                    fontsize=6.5)
        ax.axhline(LOW, color="k", ls="--", lw=0.7)
        ax.set_yscale("symlog", linthresh=1e-4)
        ax.set_ylim(-1e-5, None)
        ax.set_xticks(range(len(xs)))
        ax.set_xticklabels(labels, fontsize=7)
        ax.set_xlim(-0.6, len(xs) - 0.4)
        ax.set_ylabel("final loss / best of the level - 1")
        if combo:
            ax.set_title(tmsio.cell_label(res, combo).replace("\n", " "), fontsize=8, loc="left")
    axes[-1, 0].set_xlabel(f"{xdim} (orange: the best seed's configuration, d < {SAME}; dashed: 1% above the best)")
    tmsio.save(fig, args, f"{res.attr('sweep_name')}: final loss over the seeds of each level")
    return 0


if __name__ == "__main__":
    tmsio.run_main(main)
