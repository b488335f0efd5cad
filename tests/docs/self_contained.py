#!/usr/bin/python3
"""self_contained.py ROOT: a clone is self-contained: no tracked text file points outside the repository (to the
machine the project was written on: /work/..., ../shared/..., the specs it was written from). Fails naming each
file, line and the reference. bench/reference/ (the copied reference trainer) and this file are exempt."""
import os
import re
import subprocess
import sys

root = sys.argv[1]
OUTSIDE = re.compile(r"(?<![\w$\"}/])/work/|\.\./shared\b|\bshared/(reference|science\.md|design\.md)")
try:
    files = subprocess.run(["git", "-C", root, "ls-files"], capture_output=True, text=True, check=True).stdout.split()
except (OSError, subprocess.CalledProcessError):  # not a git checkout (a source tarball): every file under root
    files = [os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs
             if "/build" not in d and "/.git" not in d]
bad = []
for rel in files:
    if rel.startswith("bench/reference/") or rel == "tests/docs/self_contained.py" or rel.endswith((".h5", ".png", ".npz")):
        continue
    try:
        text = open(os.path.join(root, rel), encoding="utf-8").read()
    except (UnicodeDecodeError, OSError):
        continue
    for n, line in enumerate(text.splitlines(), 1):
        m = OUTSIDE.search(line)
        if m:
            bad.append(f"{rel}:{n}: points outside the repository ({m.group(0)!r}): {line.strip()[:100]}")
for b in bad:
    print("FAIL:", b)
if bad:
    sys.exit(1)
print(f"PASS: {len(files)} files, none points outside the repository")
