#!/usr/bin/python3
"""embeddings_2d: the feature embeddings W_i of m = 2 models as points with segments from the origin
(E0 intro figure, E4 canonicalised pentagons, E5 correlated sets), one panel per grid cell.

Columns follow one grid dimension (--x, default the density axis), rows every combination of the other
dimensions (restrict them with --select). Per cell the lowest-loss replicate is drawn (--replicate to change).
Colour: importance I_i (viridis, as [NB] cell 9), or the correlated set of each feature (--color-by set; default
when the sweep has correlated sets), or the feature index. Axes [-1.5, 1.5]^2. Points with m != 2 are skipped
(and listed); this script draws, it computes nothing the binaries own. --canonical rotates/reflects each model
into a common frame (SCIENCE.md E4): the perturbed (last) feature on +x (feature 0 if the last is ~0), then a
reflection so that its nearest neighbour by angle lies counter-clockwise (positive angle).
"""
import argparse

import numpy as np

import tmsio


def canonicalise(W, ref=None):
    """Rotation + reflection of W (n, 2) into the E4 frame. ref: feature put on +x (default the last)."""
    W = np.asarray(W, dtype=np.float64)
    n = W.shape[0]
    norms = np.linalg.norm(W, axis=1)
    if norms.max() == 0:
        return W
    ref = n - 1 if ref is None else ref
    if norms[ref] < 0.1 * norms.max():
        ref = 0 if norms[0] >= 0.1 * norms.max() else int(np.argmax(norms))
    th = np.arctan2(W[ref, 1], W[ref, 0])
    c, s = np.cos(-th), np.sin(-th)
    V = W @ np.array([[c, s], [-s, c]])
    ang = np.arctan2(V[:, 1], V[:, 0])
    cand = [i for i in range(n) if i != ref and norms[i] >= 0.1 * norms.max() and abs(ang[i]) > 1e-9
            and abs(abs(ang[i]) - np.pi) > 1e-9]
    if cand:
        nxt = min(cand, key=lambda i: abs(ang[i]))
        if ang[nxt] < 0:
            V[:, 1] = -V[:, 1]
    return V


def feature_colors(res, idx, how, cmap_imp, cmap_set, imp_norm=None):
    """RGBA per feature. importance: viridis over imp_norm (a matplotlib Normalize; default this model's
    min..max importance, all yellow when every I_i is equal)."""
    n, _ = res.nm(idx)
    if how == "importance":
        imp = res.importance(idx)
        if imp_norm is not None:
            return cmap_imp(imp_norm(imp))
        span = imp.max() - imp.min()
        return cmap_imp((imp - imp.min()) / span if span > 0 else np.ones(n))
    if how == "set":
        sets, size = int(res.p("correlated_sets", idx)), int(res.p("set_size", idx))
        cols = np.tile(np.array([[0.6, 0.6, 0.6, 1.0]]), (n, 1))
        for i in range(min(n, sets * size)):
            cols[i] = cmap_set((i // size) % 10)
        return cols
    return cmap_set(np.arange(n) % 10)


def draw_embedding(ax, W, colors, lim=1.5):
    for i in range(W.shape[0]):
        ax.plot([0, W[i, 0]], [0, W[i, 1]], color=colors[i], lw=1.5, zorder=2)
    ax.scatter(W[:, 0], W[:, 1], c=colors, s=22, zorder=3, edgecolors="k", linewidths=0.3)
    t = np.linspace(0, 2 * np.pi, 200)
    ax.plot(np.cos(t), np.sin(t), color="0.85", lw=0.6, zorder=1)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


def default_x(h5):
    for d in ("density", "sparsity", "last_density", "last_importance"):
        if d in h5.dims:
            return d
    others = [d for d in h5.dims if d != "replicate"]
    return others[0] if others else "replicate"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    tmsio.add_common_args(ap)
    ap.add_argument("--x", help="grid dimension along the columns (default: the density axis)")
    ap.add_argument("--color-by", choices=["auto", "importance", "set", "feature"], default="auto")
    ap.add_argument("--canonical", action="store_true", help="rotate/reflect into the E4 frame")
    ap.add_argument("--max-cols", type=int, default=12, help="at most this many columns (evenly subsampled)")
    args = ap.parse_args(argv)
    plt = tmsio.setup_matplotlib()

    res = tmsio.Results(args.results)
    res.get("W")  # fail early, naming the dataset
    xdim = args.x or default_x(res)
    sel = tmsio.select_from_args(res, args)
    if xdim != "replicate":
        res.dim_index(xdim)
    xs = tmsio.columns(res, xdim, sel, args.max_cols)
    rows = tmsio.rest_indices(res, [xdim], sel)

    cells, skipped = [], []
    for combo in rows:
        row = []
        for xi in xs:
            base = dict(combo, **{xdim: xi})
            if xdim == "replicate":
                idx = tuple(base[d] for d in res.dims)
                idx = idx if res.done()[idx] else None
            else:
                idx = tmsio.pick_replicate(res, base, args.replicate)
            if idx is not None and res.nm(idx)[1] != 2:
                skipped.append(tmsio.cell_label(res, combo))
                row = None
                break
            row.append((xi, idx))
        if row is not None:
            cells.append((combo, row))
    if skipped:
        print(f"note: skipped rows with n_hidden != 2: {'; '.join(sorted(set(skipped)))}")
    if not cells:
        raise tmsio.TmsDataError(f"{res.path}: no grid cell with n_hidden = 2 to draw")

    how = args.color_by
    if how == "auto":
        how = "set" if res.has(f"{tmsio.PARAMS}/correlated_sets") and np.nanmax(res.param("correlated_sets")) > 0 \
            else "importance"
    nr, nc = len(cells), len(xs)
    imps = [res.importance(idx) for _, row in cells for _, idx in row if idx is not None]
    lo, hi = min(i.min() for i in imps), max(i.max() for i in imps)
    imp_norm = plt.Normalize(lo, hi if hi > lo else lo + 1e-9)
    fig, axes = plt.subplots(nr, nc, figsize=(1.7 * nc + 1.0, 1.9 * nr + 0.4), squeeze=False,
                             layout="constrained")
    cmap_imp, cmap_set = plt.get_cmap("viridis"), plt.get_cmap("tab10")
    for r, (combo, row) in enumerate(cells):
        for c, (xi, idx) in enumerate(row):
            ax = axes[r, c]
            label = res.axis_label(xdim, xi) if xdim != "replicate" else f"replicate {xi}"
            if idx is None:
                ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
                ax.set_xticks([])
                ax.set_yticks([])
            else:
                W = res.W(idx)
                if args.canonical:
                    W = canonicalise(W)
                draw_embedding(ax, W, feature_colors(res, idx, how, cmap_imp, cmap_set, imp_norm))
                label += f"\nloss {res.get('loss')[idx]:.3g}"
            ax.set_title(label, fontsize=7)
            if c == 0 and combo:
                ax.set_ylabel(tmsio.cell_label(res, combo), fontsize=7)
    if how == "importance":
        sm = plt.cm.ScalarMappable(cmap=cmap_imp, norm=imp_norm)
        fig.colorbar(sm, ax=axes, shrink=0.8, label="importance I_i")
    tmsio.save(fig, args, f"{res.attr('sweep_name')}: feature embeddings W_i (colour: {how})")
    return 0


if __name__ == "__main__":
    tmsio.run_main(main)
