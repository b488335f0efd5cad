#!/usr/bin/python3
"""format_doc.py TMS_SWEEP CONFIG_C FORMAT_MD: every key the sweep parser accepts is documented in sweeps/FORMAT.md.

Model keys come from `tms-sweep train --help` (made from the parameter registry the parser uses); top-level and
`run` keys from the parser's own key lists in src/2_sweep/config/config.c. A key missing from FORMAT.md's tables
fails, named; so does a table key the parser does not know (a stale page)."""
import re
import subprocess
import sys

tms, config_c, doc_path = sys.argv[1:4]
help_text = subprocess.run([tms, "train", "--help"], capture_output=True, text=True).stdout
model = {f.replace("-", "_") for f in re.findall(r"^  --([a-z0-9-]+)", help_text, re.M)} - {"seed", "out", "quiet", "help"}
src = open(config_c).read()


def c_list(name):
    m = re.search(r"%s\[\] = \{([^}]*)\}" % name, src)
    if not m:
        sys.exit(f"FAIL: no {name}[] in {config_c}")
    return set(re.findall(r'"([a-z_]+)"', m.group(1)))


top, run = c_list("top_keys"), c_list("run_keys")
doc = open(doc_path).read()
# Keys in the first column of the tables: | `key` | or | `a`, `b` | or | `a` or `b` |
documented = set()
for row in re.findall(r"^\| ([^|]+) \|", doc, re.M):
    documented |= set(re.findall(r"`([a-z_0-9]+)`", row))
bad = []
if len(model) < 20:
    bad.append(f"only {len(model)} model keys read from `tms-sweep train --help`: {sorted(model)}")
for kind, keys in (("model key", model), ("top-level key", top), ("run key", run)):
    for k in sorted(keys - documented):
        bad.append(f"{kind} `{k}` is accepted by the parser but not in a table of {doc_path}")
known = model | top | run
generators = {"values", "linspace", "logspace", "geomspace", "range"}
words = {"linear", "relu_out", "relu_hidden", "abs", "independent", "correlated", "anticorrelated", "set", "member",
         "adamw", "adam", "constant", "cosine", "xavier", "kaiming_uniform", "key", "generator"}
for k in sorted(documented - known - generators - words):
    bad.append(f"`{k}` is in a table of {doc_path} but the parser knows no such key")
for b in bad:
    print("FAIL:", b)
if bad:
    sys.exit(1)
print(f"PASS: {len(model)} model keys, {len(top)} top-level keys, {len(run)} run keys, all in {doc_path}")
