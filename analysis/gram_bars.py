#!/usr/bin/python3
"""gram_bars: E1 basic-results figure. Per model: the Gram matrix G = W W^T (row i of /results/W is W_i, so
G_ij = W_i . W_j) as a coolwarm heat map on [-1, 1] with the bias b as an extra column beside it, and below it
the bars ||W_i|| coloured by the superposition s_i = sum_{j!=i} (W^_i . W_j)^2 (/metrics/interference, the
paper's s_i, not the notebook's sqrt(s_i); colour range [0, 1], clipped), features ordered by importance, a
vertical line after feature m.

Columns follow --x (default the density axis); row pairs are the combinations of the other dimensions
(e.g. size x variant; restrict with --select). Per cell the lowest-loss replicate. It only reads and draws.
Correlated sets (E5): thin black lines separate the sets in G when the features keep their index order (equal
importances); --features A:B draws only features A .. B-1 (e.g. 0:20, the two sets of e5_local, so that the
blocks can be read: within each set G ~ identity, across the sets not).
"""
import argparse

import numpy as np

import tmsio
from embeddings_2d import default_x


def feature_range(spec, n):
    """--features A:B as (lo, hi) within [0, n]; all features without it."""
    if not spec:
        return 0, n
    try:
        lo, hi = (int(v) for v in spec.split(":"))
    except ValueError:
        raise tmsio.TmsDataError(f"--features {spec}: expected A:B (two integers)")
    if not 0 <= lo < hi <= n:
        raise tmsio.TmsDataError(f"--features {spec}: needs 0 <= A < B <= n = {n}")
    return lo, hi


def set_bounds(res, idx, keep):
    """Positions (within keep) after which a new correlated set starts, when keep is in index order and the point
    has correlated sets (SCIENCE.md section 2: sets occupy features 0 .. sets*size-1); else []."""
    if not res.has(f"{tmsio.PARAMS}/correlated_sets") or not np.all(np.diff(keep) == 1):
        return []
    sets, size = int(res.p("correlated_sets", idx)), int(res.p("set_size", idx))
    if str(res.p("correlation", idx)) == "independent" or sets < 1 or size < 1:
        return []
    edges = [k * size for k in range(1, sets + 1)]
    return [e - int(keep[0]) for e in edges if keep[0] < e <= keep[-1]]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    tmsio.add_common_args(ap)
    ap.add_argument("--x", help="grid dimension along the columns (default: the density axis)")
    ap.add_argument("--max-cols", type=int, default=8)
    ap.add_argument("--features", metavar="A:B", help="draw only features A .. B-1 (by importance order)")
    args = ap.parse_args(argv)
    plt = tmsio.setup_matplotlib()
    from matplotlib.gridspec import GridSpec

    res = tmsio.Results(args.results)
    for name in ("W", "b", "norm", "interference", "loss"):
        res.get(name)
    xdim = args.x or default_x(res)
    res.dim_index(xdim)
    sel = tmsio.select_from_args(res, args)
    xs = tmsio.columns(res, xdim, sel, args.max_cols)
    rows = tmsio.rest_indices(res, [xdim], sel)

    nr, nc = len(rows), len(xs)
    fig = plt.figure(figsize=(2.1 * nc + 1.4, 3.3 * nr + 0.4), layout="constrained")
    gs = GridSpec(2 * nr, nc, figure=fig, height_ratios=[2.2, 1] * nr)
    cmap = plt.get_cmap("coolwarm").copy()
    cmap.set_bad("white")
    scmap = plt.get_cmap("plasma")
    im = None
    for r, combo in enumerate(rows):
        for c, xi in enumerate(xs):
            base = dict(combo, **{xdim: xi})
            idx = tmsio.pick_replicate(res, base, args.replicate)
            axg = fig.add_subplot(gs[2 * r, c])
            axb = fig.add_subplot(gs[2 * r + 1, c])
            title = res.axis_label(xdim, xi)
            if idx is None:
                for a in (axg, axb):
                    a.text(0.5, 0.5, "no data", ha="center", va="center", transform=a.transAxes)
                    a.set_xticks([])
                    a.set_yticks([])
                axg.set_title(title, fontsize=7)
                continue
            n, m = res.nm(idx)
            order = np.argsort(-res.importance(idx), kind="stable")
            lo, hi = feature_range(args.features, n)
            keep = order[lo:hi]
            sets = set_bounds(res, idx, keep)
            order, n = keep, hi - lo
            W, b = res.W(idx)[order], res.b(idx)[order]
            G = W @ W.T
            img = np.full((n, n + 2), np.nan)
            img[:, :n], img[:, n + 1] = G, b
            im = axg.imshow(img, cmap=cmap, vmin=-1, vmax=1, interpolation="nearest")
            for e in sets:
                axg.axhline(e - 0.5, color="k", lw=0.5)
                axg.axvline(e - 0.5, color="k", lw=0.5)
            axg.set_xticks([n + 1])
            axg.set_xticklabels(["b"], fontsize=7)
            axg.set_yticks([])
            axg.set_title(f"{title}\n{res.p('variant', idx)} loss {res.get('loss')[idx]:.3g}",
                          fontsize=7)
            norm = res.feat("norm", idx)[order]
            s = np.clip(np.nan_to_num(res.feat("interference", idx)[order]), 0, 1)
            axb.bar(np.arange(n), norm, width=0.85, color=scmap(s))
            if lo < m <= hi:
                axb.axvline(m - lo - 0.5, color="k", lw=0.7, ls="--")
            axb.set_ylim(0, max(1.2, float(np.nanmax(norm)) * 1.05))
            axb.set_xlim(-0.7, n - 0.3)
            axb.tick_params(labelsize=6)
            if c == 0:
                axb.set_ylabel("||W_i||", fontsize=7)
                if combo:
                    axg.set_ylabel(tmsio.cell_label(res, combo), fontsize=7)
            axb.set_xlabel(f"feature (by importance{', from ' + str(lo) if lo else ''})", fontsize=6)
    if im is not None:
        axes = list(fig.axes)
        fig.colorbar(im, ax=axes, shrink=0.3, location="right", label="G_ij = W_i.W_j ; b_i")
        sm = plt.cm.ScalarMappable(cmap=scmap, norm=plt.Normalize(0, 1))
        fig.colorbar(sm, ax=axes, shrink=0.3, location="right", label="superposition s_i")
    tmsio.save(fig, args, f"{res.attr('sweep_name')}: Gram matrices and feature norms")
    return 0


if __name__ == "__main__":
    tmsio.run_main(main)
