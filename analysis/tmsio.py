"""tmsio: the small shared reader of the analysis scripts.

What it is: read-only access to a tms results file (schema "tms-results/1", written by `tms-sweep run`) and a
post file (schema "tms-post/1", written by `tms-post`), grid slicing by axis name, best-replicate selection,
and the command-line plumbing every figure script shares (--select, --replicate, clear errors).
What it is not: it computes no science the binaries own (no D_i, no phase classes, no attacks); it only reads
what they wrote. Names, types and shapes come from analysis/tms_layout.json, the schema module's table as printed
by `tms-post layout --json` (the layout_docs test keeps the two equal); scripts name datasets by key ("loss",
"fraction": the last part of the path) and tmsio maps the key to the path of the file's kind.
Invariants: every missing dataset/attribute becomes a TmsDataError that names the file and the dataset; scripts
turn that into exit code 2 and a one-line message on stderr.
"""
import argparse
import json
import os
import sys

import numpy as np

try:
    import h5py
except ImportError:  # the scripts' --help must still work, and the error must say what to install
    h5py = None

LAYOUT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tms_layout.json")
with open(LAYOUT_PATH) as _f:
    LAYOUT = json.load(_f)
STATUS_DONE = LAYOUT["point_status"]["done"]
REPLICATE = LAYOUT["replicate"]
AXES, PARAMS = LAYOUT["axes"], LAYOUT["params"]


def datasets(kind):
    """{key: table row} of a file kind ("results" or "post"): path, type (numpy name), lead, trail, when, meaning."""
    return {d["key"]: d for d in LAYOUT["files"][kind]["datasets"]}


def path_of(kind, key):
    """Path of dataset `key` in a file of that kind; a path ("W") is returned as it is."""
    if key.startswith("/"):
        return key
    rows = datasets(kind)
    if key not in rows:
        raise KeyError(f"no dataset '{key}' in the {kind} layout ({LAYOUT_PATH})")
    return rows[key]["path"]


class TmsDataError(Exception):
    """A file lacks something a figure needs (names the file and the dataset)."""


def _decode(v):
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.ndarray) and v.dtype.kind in "SO":
        return [x.decode() if isinstance(x, bytes) else str(x) for x in v]
    return v


def _need_h5py():
    if h5py is None:
        raise TmsDataError("python module h5py is missing (Debian: apt-get install python3-h5py)")


class H5:
    """Common part of the results and post readers."""

    schema_prefix = ""
    kind = None

    def __init__(self, path):
        _need_h5py()
        self.path = path
        try:
            self.f = h5py.File(path, "r")
        except OSError as e:
            raise TmsDataError(f"{path}: cannot open as HDF5 ({e})") from None
        schema = self.attr("schema")
        if not str(schema).startswith(self.schema_prefix):
            raise TmsDataError(f"{path}: schema is '{schema}', expected '{self.schema_prefix}...'")
        self.dims = [str(d) for d in _decode(np.atleast_1d(self.attr("dim_names")))]
        self.shape = tuple(int(s) for s in np.atleast_1d(self.attr("grid_shape")))
        if len(self.dims) != len(self.shape):
            raise TmsDataError(f"{path}: dim_names {self.dims} and grid_shape {self.shape} differ in length")

    def close(self):
        self.f.close()

    def attr(self, name):
        if name not in self.f.attrs:
            raise TmsDataError(f"{self.path}: missing root attribute '{name}'")
        return _decode(self.f.attrs[name])

    def has(self, name):
        return path_of(self.kind, name).lstrip("/") in self.f

    def need(self, name):
        """The whole dataset (a key of the layout, or a path) as a numpy array; TmsDataError naming it if absent."""
        key = path_of(self.kind, name).lstrip("/")
        if key not in self.f or not isinstance(self.f[key], h5py.Dataset):
            raise TmsDataError(f"{self.path}: missing dataset '/{key}'")
        return self.f[key][()]

    def dset_attr(self, name, attr):
        key = path_of(self.kind, name).lstrip("/")
        if key not in self.f:
            raise TmsDataError(f"{self.path}: missing dataset '/{key}'")
        if attr not in self.f[key].attrs:
            raise TmsDataError(f"{self.path}: dataset '/{key}' has no attribute '{attr}'")
        return _decode(self.f[key].attrs[attr])

    # ---- axes ----
    def dim_index(self, dim):
        if dim not in self.dims:
            raise TmsDataError(f"{self.path}: no grid dimension '{dim}' (dimensions: {', '.join(self.dims)})")
        return self.dims.index(dim)

    def axis(self, dim):
        """Values of a grid dimension: numbers, strings, or 0..size-1 for a zip group."""
        self.dim_index(dim)
        v = self.need(f"{AXES}/{dim}")
        if v.dtype.kind in "SO":
            v = np.array(_decode(v), dtype=object)
        return v

    def zip_members(self, dim):
        """{key: values} of a zip group, {} for a plain axis."""
        g = f"{AXES}/{dim}_members".lstrip("/")
        if g not in self.f:
            return {}
        out = {}
        for k in self.f[g]:
            v = self.f[g][k][()]
            out[k] = np.array(_decode(v), dtype=object) if v.dtype.kind in "SO" else v
        return out

    def axis_label(self, dim, i):
        """Short text for value i of a dimension, e.g. 'density=0.1' or 'n=20 m=5 r=0.7' for a zip group."""
        members = self.zip_members(dim)
        if members:
            parts = [f"{SHORT.get(k, k)}={fmt(v[i])}" if k not in WORDS else fmt(v[i]) for k, v in members.items()]
            lines = [" ".join(parts[j:j + 3]) for j in range(0, len(parts), 3)]
            return "\n".join(lines)
        return f"{SHORT.get(dim, dim)}={fmt(self.axis(dim)[i])}"


SHORT = {"n_features": "n", "n_hidden": "m", "importance_decay": "r", "correlated_sets": "sets",
         "set_size": "size", "last_importance": "I_last", "last_density": "p_last", "correlation_strength": "corr"}
WORDS = {"variant", "correlation", "correlation_density", "optimizer", "schedule", "init"}


def fmt(v):
    if isinstance(v, (str, bytes)):
        return _decode(v)
    v = float(v)
    if v == int(v) and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.3g}"


class Results(H5):
    schema_prefix = "tms-results/"
    kind = "results"

    def __init__(self, path):
        super().__init__(path)
        if self.dims[-1] != REPLICATE:
            raise TmsDataError(f"{path}: last grid dimension is '{self.dims[-1]}', expected 'replicate'")
        self._cache = {}

    def get(self, name):
        name = path_of(self.kind, name)
        if name not in self._cache:
            self._cache[name] = self.need(name)
        return self._cache[name]

    def param(self, key):
        """Grid-shaped /params/<key>: float64, or an object array of words for enum parameters."""
        v = self.get(f"{PARAMS}/{key}")
        choices_attr = self.f[f"{PARAMS}/{key}"].attrs if f"{PARAMS}/{key}".lstrip("/") in self.f else {}
        if v.dtype.kind in "iu" and "choices" in choices_attr:
            choices = _decode(choices_attr["choices"])
            return np.array([choices[c] if 0 <= c < len(choices) else "?" for c in v.ravel()],
                            dtype=object).reshape(v.shape)
        return v

    def p(self, key, idx):
        """Parameter value at one grid point."""
        return self.param(key)[idx]

    def nm(self, idx):
        return int(self.p("n_features", idx)), int(self.p("n_hidden", idx))

    def importance(self, idx):
        """I_i of the point (SCIENCE.md section 2: r^i from i = 0, last feature override)."""
        n = int(self.p("n_features", idx))
        imp = float(self.p("importance_decay", idx)) ** np.arange(n)
        last = float(self.p("last_importance", idx))
        if np.isfinite(last):
            imp[-1] = last
        return imp

    def density_of(self, idx):
        """Per-feature density p_i after the last-feature override."""
        n = int(self.p("n_features", idx))
        d = np.full(n, float(self.p("density", idx)))
        last = float(self.p("last_density", idx))
        if np.isfinite(last):
            d[-1] = last
        return d

    def done(self):
        return self.get("status") == STATUS_DONE

    def W(self, idx, which="W"):
        n, m = self.nm(idx)
        return np.asarray(self.get(which)[idx], dtype=np.float64)[:n, :m]

    def W_history(self, idx):
        """(steps, W) of the point's W snapshots (/results/W_history, written when snapshot_every > 0): entry k at
        step min(k*snapshot_every, steps-1), W before that step's update, the last entry the final W; W has shape
        (S, n, m) without padding or the NaN entries beyond the point's own history (S = 0 when it has none)."""
        n, m = self.nm(idx)
        H = np.asarray(self.get("W_history")[idx], dtype=np.float64)[:, :n, :m]
        every = int(self.p("snapshot_every", idx)) if self.has(f"{PARAMS}/snapshot_every") else 0
        if every < 1:
            return np.zeros(0, np.int64), H[:0]
        ok = np.isfinite(H).all(axis=(1, 2))
        steps = np.minimum(np.arange(len(H)) * every, int(self.p("steps", idx)) - 1)
        return steps[ok], H[ok]

    def eval_curve(self, idx):
        """(steps, loss) of the point's evaluation curve (/results/eval_curve, written when eval_every > 0): entry k
        at step min(k*eval_every, steps-1), the loss before that step's update on one fixed batch of eval_batch
        samples; without the NaN entries beyond the point's own length (empty when it has none or the file lacks it)."""
        if not self.has("eval_curve"):
            return np.zeros(0, np.int64), np.zeros(0)
        c = np.asarray(self.get("eval_curve")[idx], dtype=np.float64)
        every = int(self.p("eval_every", idx)) if self.has(f"{PARAMS}/eval_every") else 0
        if every < 1:
            return np.zeros(0, np.int64), c[:0]
        ok = np.isfinite(c)
        steps = np.minimum(np.arange(len(c)) * every, int(self.p("steps", idx)) - 1)
        return steps[ok], c[ok]

    def b(self, idx):
        n, _ = self.nm(idx)
        return np.asarray(self.get("b")[idx], dtype=np.float64)[:n]

    def feat(self, name, idx):
        """A per-feature metric (grid x n_max) cut to the point's n."""
        n, _ = self.nm(idx)
        return np.asarray(self.get(name)[idx], dtype=np.float64)[:n]


class Post(H5):
    schema_prefix = "tms-post/"
    kind = "post"


def select_from_args(h5, args, keep=()):
    """Parses --select DIM=VALUE (value: number/word matched to the axis, or #index) into {dim: index}.
    Dimensions in `keep` and 'replicate' are left free; any other dimension not selected defaults to index 0
    only if the caller asks (see grid_iter)."""
    sel = {}
    for s in args.select or []:
        if "=" not in s:
            raise TmsDataError(f"--select '{s}': expected DIM=VALUE or DIM=#INDEX")
        dim, val = s.split("=", 1)
        h5.dim_index(dim)
        ax = h5.axis(dim)
        if val.startswith("#"):
            i = int(val[1:])
            if not 0 <= i < len(ax):
                raise TmsDataError(f"--select {s}: index out of range 0..{len(ax) - 1}")
        else:
            i = _match(ax, val)
            if i is None:
                raise TmsDataError(f"--select {s}: '{val}' is not a value of {dim} "
                                   f"({', '.join(fmt(a) for a in ax)})")
        sel[dim] = i
    return sel


def _match(ax, val):
    for i, a in enumerate(ax):
        if isinstance(a, str):
            if a == val:
                return i
        else:
            try:
                if np.isclose(float(a), float(val), rtol=1e-6, atol=0):
                    return i
            except ValueError:
                pass
    return None


def add_common_args(ap, replicate=True):
    ap.add_argument("results", help="results file written by tms-sweep run (schema tms-results/1)")
    ap.add_argument("--post", help="post file written by tms-post (schema tms-post/1)")
    ap.add_argument("-o", "--output", required=True, help="PNG file to write")
    ap.add_argument("--select", action="append", metavar="DIM=VALUE",
                    help="fix a grid dimension to one value (or DIM=#INDEX); repeatable")
    if replicate:
        ap.add_argument("--replicate", default="best",
                        help="which seed to draw per grid cell: best (lowest final loss, default) or an index")
    ap.add_argument("--title", help="figure title (default: sweep name and file)")
    ap.add_argument("--dpi", type=int, default=110)


def post_density_figure(doc, argv, name, why):
    """The start of a figure of a tms-post product along density: the common arguments (no --replicate) and --x,
    parsed from argv; matplotlib; the results and the post file, which it needs (name and why say so otherwise).
    Returns (args, plt, results, post)."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(ap, replicate=False)
    ap.add_argument("--x", help="density dimension (default: density or sparsity)")
    args = ap.parse_args(argv)
    plt = setup_matplotlib()
    if not args.post:
        raise TmsDataError("%s needs --post POST.h5 (%s)" % (name, why))
    return args, plt, Results(args.results), Post(args.post)


def columns(h5, xdim, sel, max_cols):
    """Indices along xdim to draw as figure columns: the selected one, or all of them thinned evenly to at most
    max_cols (first and last kept)."""
    xs = [sel[xdim]] if xdim in sel else list(range(h5.shape[h5.dim_index(xdim)]))
    if len(xs) > max_cols:
        xs = [xs[int(round(k))] for k in np.linspace(0, len(xs) - 1, max_cols)]
    return xs


def rest_indices(h5, free_dims, sel):
    """All index tuples over the dims that are neither free nor 'replicate', with selections applied.
    Returns a list of dicts {dim: index}."""
    others = [d for d in h5.dims if d not in free_dims and d != REPLICATE]
    combos = [{}]
    for d in others:
        size = h5.shape[h5.dim_index(d)]
        choices = [sel[d]] if d in sel else range(size)
        combos = [dict(c, **{d: i}) for c in combos for i in choices]
    return combos


def pick_replicate(res, base, how):
    """Grid index tuple for a cell (dict dim->index without replicate): the lowest-loss done replicate, or a
    fixed one. Returns None when no replicate of the cell is done."""
    R = res.shape[-1]
    idx_of = lambda r: tuple(base[d] if d != REPLICATE else r for d in res.dims)
    done = res.done()
    if how != "best":
        r = int(how)
        if not 0 <= r < R:
            raise TmsDataError(f"--replicate {how}: out of range 0..{R - 1}")
        i = idx_of(r)
        return i if done[i] else None
    loss = res.get("loss")
    best, best_loss = None, np.inf
    for r in range(R):
        i = idx_of(r)
        if done[i] and np.isfinite(loss[i]) and loss[i] < best_loss:
            best, best_loss = i, loss[i]
    return best


def cell_label(h5, combo):
    return ", ".join(h5.axis_label(d, i) for d, i in combo.items())


def density_axis(h5, dim):
    """Density values of a grid dimension named density or sparsity (S -> 1 - S)."""
    v = np.asarray(h5.axis(dim), dtype=np.float64)
    return 1.0 - v if dim == "sparsity" else v


def find_density_dim(h5, prefer=("density", "sparsity", "last_density")):
    for d in prefer:
        if d in h5.dims:
            return d
    raise TmsDataError(f"{h5.path}: no density/sparsity axis among dimensions {', '.join(h5.dims)}; "
                       f"name one with --x")


def run_main(main):
    """Runs a script's main(); turns data errors into exit 2 with one clear line."""
    try:
        sys.exit(main())
    except TmsDataError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)


def setup_matplotlib():
    try:
        import matplotlib
    except ImportError:
        raise TmsDataError("python module matplotlib is missing (Debian: apt-get install python3-matplotlib)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save(fig, args, default_title=None):
    title = args.title if args.title is not None else default_title
    if title:
        fig.suptitle(title, fontsize=10)
    fig.savefig(args.output, dpi=args.dpi, bbox_inches="tight")
    print(f"wrote {args.output}")
