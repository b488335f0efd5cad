#!/usr/bin/python3
"""dstar: E3 uniform-superposition figures. Left: dimensions per feature D* (/metrics/dstar) against 1/(1-S)
on a log x axis, every done replicate as a small dot and the lowest-loss one as markers joined by a line.
Middle: the feature dimensionalities D_i (/metrics/dimensionality) of every level as black dots, with a
horizontal jitter of +-0.1 of the (log) gap to the next level, over the reference lines of SCIENCE.md
section 4.6 (1; 2-D family 2/3, 1/2, 2/5, 1/3, 2/7; 3-D+ family 5/6, 4/5, 3/4, 3/8, 1/4, 3/20).
Right: per level, the share of the represented features (||W_i|| > 0.5) whose D_i lies within 0.02 of each
named fraction (1, 3/4, 2/3, 1/2, 2/5, 3/8, 1/3), and of any of them (black; the per-level line of
`tms-post check`), for the lowest-loss replicate (with --all-seeds: pooled over the done replicates). It replaces
sum_i D_i / m, which is 1 for every tight frame (W W^T = c I) and so said nothing about the clusters.
One row per combination of the other grid dimensions (size, steps, ...). Reads the results file only.
"""
import argparse

import numpy as np

import tmsio

NAMED = {1.0: "1", 3 / 4: "3/4 tetrahedron", 2 / 3: "2/3 triangle", 1 / 2: "1/2 digon", 2 / 5: "2/5 pentagon",
         3 / 8: "3/8 sq. antiprism"}
OTHER = [5 / 6, 4 / 5, 1 / 3, 2 / 7, 1 / 4, 3 / 20]
SHARE = [(1.0, "1"), (3 / 4, "3/4"), (2 / 3, "2/3"), (1 / 2, "1/2"), (2 / 5, "2/5"), (3 / 8, "3/8"), (1 / 3, "1/3")]
# the check's named fractions (src/3_files/post/check_e0_e4.c, st_named_share): SHARE plus 2/7 and 1/4
CHECK_NAMED = [f for f, _ in SHARE] + [2 / 7, 1 / 4]
NEAR = 0.02
REPRESENTED = 0.5


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    tmsio.add_common_args(ap)
    ap.add_argument("--x", help="density dimension (default: density or sparsity)")
    ap.add_argument("--all-seeds", action="store_true", help="scatter D_i of every done replicate, not only the best")
    args = ap.parse_args(argv)
    plt = tmsio.setup_matplotlib()

    res = tmsio.Results(args.results)
    dstar, dims = res.get("dstar"), res.get("dimensionality")
    xdim = args.x or tmsio.find_density_dim(res)
    dens = tmsio.density_axis(res, xdim)
    inv = 1.0 / dens
    sel = tmsio.select_from_args(res, args)
    rows = tmsio.rest_indices(res, [xdim], sel)
    levels = [sel[xdim]] if xdim in sel else list(range(len(dens)))
    order = sorted(levels, key=lambda k: inv[k])
    logx = np.log(inv)
    done = res.done()
    R = res.shape[-1]
    rng = np.random.default_rng(0)

    fig, axes = plt.subplots(len(rows), 3, figsize=(14, 3.6 * len(rows) + 0.4), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 1.6, 0.8]}, layout="constrained")
    for r, combo in enumerate(rows):
        a0, a1, a2 = axes[r]
        best_x, best_y, share_x, share = [], [], [], []
        for j, k in enumerate(order):
            base = dict(combo, **{xdim: k})
            pts = [tuple(base[d] if d != "replicate" else q for d in res.dims) for q in range(R)]
            pts = [p for p in pts if done[p]]
            if not pts:
                continue
            a0.scatter([inv[k]] * len(pts), [dstar[p] for p in pts], s=6, color="0.6", zorder=2)
            bi = tmsio.pick_replicate(res, base, args.replicate)
            if bi is not None:
                best_x.append(inv[k])
                best_y.append(dstar[bi])
            # jitter: +-0.1 of the log gap to the next level
            gap = (logx[order[j + 1]] - logx[k]) if j + 1 < len(order) else (logx[k] - logx[order[j - 1]] if j else 1.0)
            rep_d = []
            for p in (pts if args.all_seeds else ([bi] if bi is not None else [])):
                n, m = res.nm(p)
                d = dims[p][:n]
                jit = np.exp(logx[k] + rng.uniform(-0.1, 0.1, n) * gap)
                a1.scatter(jit, d, s=1.5, color="k", zorder=3)
                rep_d.append(d[np.linalg.norm(res.W(p), axis=1) > REPRESENTED])
            rep_d = np.concatenate(rep_d) if rep_d else np.zeros(0)
            if bi is not None and dstar[bi] < 0.95 and rep_d.size:
                share_x.append(inv[k])
                near = [np.abs(rep_d - f) <= NEAR for f, _ in SHARE]
                anyn = np.any([np.abs(rep_d - f) <= NEAR for f in CHECK_NAMED], axis=0)
                share.append([v.mean() for v in near] + [anyn.mean()])
        a0.plot(best_x, best_y, "o-", color="C0", ms=4, zorder=3, label=f"replicate: {args.replicate}")
        a0.axhline(1.0, color="0.8", lw=0.6)
        a0.axhline(0.5, color="0.8", lw=0.6, ls="--")
        a0.set_xscale("log")
        a0.set_xlabel("1/(1-S)")
        a0.set_ylabel("D* = m / ||W||_F^2" + (f"\n{tmsio.cell_label(res, combo)}" if combo else ""), fontsize=8)
        a0.set_ylim(0, max(1.1, float(np.nanmax(best_y)) * 1.05) if best_y else 1.1)
        a0.legend(fontsize=7)
        for f, name in NAMED.items():
            a1.axhline(f, color="C3", lw=0.6, alpha=0.6, zorder=1)
            a1.text(1.01, f, name, transform=a1.get_yaxis_transform(), fontsize=6, va="center", color="C3")
        for f in OTHER:
            a1.axhline(f, color="C0", lw=0.5, alpha=0.4, ls=":", zorder=1)
        a1.set_xscale("log")
        a1.set_ylim(-0.03, 1.05)
        a1.set_xlabel("1/(1-S)")
        a1.set_ylabel("feature dimensionality D_i")
        share = np.array(share).reshape(-1, len(SHARE) + 1)
        for j, (f, name) in enumerate(SHARE):
            a2.plot(share_x, share[:, j], ".-", ms=3, lw=0.8, color=f"C{j}", label=name)
        a2.plot(share_x, share[:, -1], "o-", ms=3, lw=1.2, color="k", label="any named")
        a2.set_xscale("log")
        a2.set_ylim(0, 1.02)
        a2.set_xlabel("1/(1-S)  (levels with D* < 0.95)")
        a2.set_ylabel(f"share of represented D_i within {NEAR} of", fontsize=8)
        a2.legend(fontsize=6, ncol=2)
    tmsio.save(fig, args, f"{res.attr('sweep_name')}: dimensions per feature")
    return 0


if __name__ == "__main__":
    tmsio.run_main(main)
