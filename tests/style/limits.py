#!/usr/bin/python3
"""limits.py ROOT: the house size limits (the house style): no source file over 600 lines, no function over 80.

Checks every .c and .h under ROOT/src, ROOT/include, ROOT/bench and ROOT/tests (the test programs, fixtures and
science checkers too: the house style has no exemption for them). A function is counted from the first line of
its definition (where its return type starts) to its closing brace, both included. Files listed in
tests/style/limits_owed.txt (path, then who owes the fix) are skipped while their owner reworks them; a listed file
that is compliant again must be removed from the list, so the list never outlives the debt.
Prints one line per violation (file:line, the function, its length and the limit); exit 1 if there is any."""
import os
import re
import sys

FILE_LIMIT = 600
FUNC_LIMIT = 80
DIRS = ("src", "include", "bench", "tests")


def blank_comments_and_strings(text):
    """The text with comments, string and char literals and preprocessor lines replaced by spaces (newlines kept),
    so braces and parentheses can be counted."""
    out = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if line_start and c == "#":  # a preprocessor line, with its continuations
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    out.append(" \n")
                    i += 2
                    continue
                out.append(" ")
                i += 1
            continue
        if c == "/" and text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
            continue
        if c == "/" and text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
            continue
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * (j - i - 2) + c if j - i >= 2 else " ")
            i = j
            continue
        out.append(c)
        if c == "\n":
            line_start = True
        elif not c.isspace():
            line_start = False
        i += 1
    return "".join(out)


def functions(text):
    """Yields (name, first_line, last_line) of every function definition (1-based lines)."""
    code = blank_comments_and_strings(text)
    depth = 0
    head_start = None  # offset of the first character of the current top-level declaration
    func = None        # (name, first_line) of the function whose body is open
    line = 1
    for i, c in enumerate(code):
        if c == "\n":
            line += 1
            continue
        if depth == 0:
            if head_start is None and not c.isspace() and c not in ";}":
                head_start = (i, line)
            if c == ";":
                head_start = None
            elif c == "{":
                head = code[head_start[0]:i].strip() if head_start else ""
                m = re.match(r"[^=]*?\b([A-Za-z_]\w*)\s*\(", head)
                if m and head.endswith(")") and "=" not in head:
                    func = (m.group(1), head_start[1])
                else:
                    func = None
                depth = 1
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                if func:
                    yield func[0], func[1], line
                func = None
                head_start = None


def load_owed(root):
    owed = {}
    path = os.path.join(root, "tests", "style", "limits_owed.txt")
    if os.path.exists(path):
        for raw in open(path, encoding="utf-8"):
            raw = raw.split("#", 1)[0].strip()
            if raw:
                parts = raw.split(None, 1)
                owed[parts[0]] = parts[1] if len(parts) > 1 else "?"
    return owed


def violations(root, rel):
    text = open(os.path.join(root, rel), encoding="utf-8", errors="replace").read()
    found = []
    nlines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    if nlines > FILE_LIMIT:
        found.append(f"{rel}: {nlines} lines (limit {FILE_LIMIT})")
    for name, first, last in functions(text):
        if last - first + 1 > FUNC_LIMIT:
            found.append(f"{rel}:{first}: function {name} is {last - first + 1} lines, {first}-{last} "
                         f"(limit {FUNC_LIMIT})")
    return found


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".."))
    owed = load_owed(root)
    files = []
    for d in DIRS:
        for base, _, names in os.walk(os.path.join(root, d)):
            files += [os.path.relpath(os.path.join(base, f), root) for f in names if f.endswith((".c", ".h"))]
    bad = 0
    for rel in sorted(files):
        found = violations(root, rel)
        if rel in owed:
            if not found:
                print(f"{rel}: within the limits now: delete its line from tests/style/limits_owed.txt")
                bad += 1
            continue
        for v in found:
            print(v)
        bad += len(found)
    for rel in sorted(set(owed) - set(files)):
        print(f"{rel}: listed in tests/style/limits_owed.txt but gone: delete its line")
        bad += 1
    skipped = ", ".join(f"{k} ({v})" for k, v in sorted(owed.items()) if k in files)
    if bad:
        print(f"limits: {bad} problem(s) in {len(files)} files" + (f"; still owed: {skipped}" if skipped else ""))
        return 1
    print(f"limits: {len(files)} files within {FILE_LIMIT} lines and {FUNC_LIMIT}-line functions"
          + (f"; still owed: {skipped}" if skipped else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
