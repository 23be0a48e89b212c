#!/usr/bin/env bash
# Repository check: production sources stay reviewable. No production .c file (crypto ledger
# transports mcp tools serve client config cli schemas; not tests/ or bench/) is over 900 lines,
# and no function in one is over 120 lines, counted from the first line of its definition to its
# closing brace. The scan strips comments, string/char literals and preprocessor lines, then
# matches braces at file scope: a `{` whose declaration ends in `)` opens a function; struct,
# union and enum bodies, initialisers (`... = {`) and extern "C" blocks are not functions. It
# relies on the tree being formatted (.clang-format, check-format.sh). SIZE_FILE_LIMIT and
# SIZE_FUNC_LIMIT override the limits for a survey (e.g. SIZE_FUNC_LIMIT=100).
set -u
root=${1:-.}
cd "$root" || exit 2
command -v python3 >/dev/null 2>&1 || { echo "size: python3 not found; run scripts/install-deps.sh" >&2; exit 1; }
dirs=(crypto ledger transports mcp tools serve client config cli schemas)
files=()
if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$(pwd -P)" ]; then
  pats=()
  for d in "${dirs[@]}"; do pats+=("$d/*.c"); done
  while IFS= read -r f; do
    [ -f "$f" ] && files+=("$f") # tracked but deleted in the work tree: nothing to check
  done < <(git ls-files -- "${pats[@]}")
else
  while IFS= read -r f; do files+=("$f"); done < <(
    for d in "${dirs[@]}"; do [ -d "$d" ] && find "$d" -type f -name '*.c'; done | sort)
fi
[ ${#files[@]} -gt 0 ] || { echo "size: no production .c files found under $(pwd)" >&2; exit 1; }
SIZE_FILE_LIMIT=${SIZE_FILE_LIMIT:-900} SIZE_FUNC_LIMIT=${SIZE_FUNC_LIMIT:-120} \
  python3 - "${files[@]}" <<'PY'
import os, re, sys

FILE_LIMIT = int(os.environ["SIZE_FILE_LIMIT"])
FUNC_LIMIT = int(os.environ["SIZE_FUNC_LIMIT"])


def clean(src):
    """Blank out comments, string and char literals and preprocessor directives, keeping every
    newline so that line numbers survive."""
    out, i, n, bol = [], 0, len(src), True  # bol: only whitespace so far on this line
    while i < n:
        c = src[i]
        if c == "\n":
            out.append(c); i += 1; bol = True; continue
        if bol and c == "#":  # directive: to the end of line, honouring \ and /* */
            while i < n and src[i] != "\n":
                if src.startswith("/*", i):
                    j = src.find("*/", i + 2); j = n if j < 0 else j + 2
                    out.append("\n" * src.count("\n", i, j)); i = j
                elif src[i] == "\\" and i + 1 < n and src[i + 1] == "\n":
                    out.append("\n"); i += 2
                else:
                    i += 1
            continue
        if not c.isspace():
            bol = False
        if src.startswith("/*", i):
            j = src.find("*/", i + 2); j = n if j < 0 else j + 2
            out.append(" " + "\n" * src.count("\n", i, j)); i = j
        elif src.startswith("//", i):
            while i < n and src[i] != "\n":
                i += 1
        elif c in "\"'":
            j = i + 1
            while j < n and src[j] != c and src[j] != "\n":
                j += 2 if src[j] == "\\" else 1
            out.append(c + c + "\n" * src.count("\n", i, j)); i = j + 1
        else:
            out.append(c); i += 1
    return "".join(out)


def top_level_eq(h):
    d = 0
    for k, ch in enumerate(h):
        if ch in "([":
            d += 1
        elif ch in ")]":
            d -= 1
        elif ch == "=" and d == 0 and h[k + 1:k + 2] != "=" and h[k - 1:k] not in ("=", "!", "<", ">"):
            return True
    return False


def func_name(h):
    """h ends with ')': (name, index) of the identifier before the '(' that matches it."""
    d = 0
    for k in range(len(h) - 1, -1, -1):
        if h[k] == ")":
            d += 1
        elif h[k] == "(":
            d -= 1
            if d == 0:
                m = re.search(r"([A-Za-z_]\w*)\s*$", h[:k])
                if m:
                    return m.group(1), m.start(1)
                break
    m = re.search(r"([A-Za-z_]\w*)\s*\(", h)
    return (m.group(1), m.start(1)) if m else ("?", 0)


def decl_start(h, k):
    """Index where the declaration holding the name at h[k] begins: after the last ')' before it,
    so that semicolon-less macro calls at file scope (`WL_STUB(init)`) are not counted."""
    j = h.rfind(")", 0, k) + 1
    while j < k and h[j].isspace():
        j += 1
    return j


TRAILING_ATTR = re.compile(r"\s*(__attribute__\s*\(\(.*\)\)|[A-Z][A-Z0-9_]*)\s*$")


def scan(path, text):
    """Yield (start_line, name, lines) for every function definition."""
    line, depth, head, hlines = 1, 0, [], []
    externs = 0  # open extern "C" blocks (transparent)
    kind = name = None
    start = 0
    for ch in text:
        if depth == 0:
            if ch == "{":
                raw = "".join(head)
                if re.fullmatch(r"\s*extern\s*\"\"\s*", raw):
                    externs += 1; head, hlines = [], []
                else:
                    hh = raw.rstrip()
                    while True:  # drop trailing attributes / attribute macros
                        m = TRAILING_ATTR.search(hh)
                        if not m or not hh[:m.start()].rstrip().endswith(")"):
                            break
                        hh = hh[:m.start()].rstrip()
                    kind = "other"  # struct/union/enum body, initialiser, ...
                    start = next((hlines[k] for k, c in enumerate(raw) if not c.isspace()), line)
                    if hh.endswith(")") and not top_level_eq(hh):
                        kind = "func"
                        name, k = func_name(hh)
                        start = hlines[decl_start(hh, k)] if hh else line
                    depth = 1
            elif ch == "}" and externs:
                externs -= 1; head, hlines = [], []
            elif ch == ";":
                head, hlines = [], []
            else:
                head.append(ch); hlines.append(line)
        else:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    if kind == "func":
                        yield start, name, line - start + 1
                        head, hlines = [], []
                    else:
                        head, hlines = ["x"], [line]  # `} name;` / `};` ends at the next ';'
        if ch == "\n":
            line += 1
    if depth != 0 or externs:
        print(f"{path}: size: unbalanced braces after preprocessing (check by hand)", file=sys.stderr)


bad = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8", errors="replace") as f:
        src = f.read()
    nlines = src.count("\n") + (0 if src.endswith("\n") or not src else 1)
    if nlines > FILE_LIMIT:
        print(f"{path}: {nlines} lines (limit {FILE_LIMIT})"); bad = 1
    for start, name, n in scan(path, clean(src)):
        if n > FUNC_LIMIT:
            print(f"{path}:{start}: function {name} is {n} lines (limit {FUNC_LIMIT})"); bad = 1
if bad:
    sys.exit(1)
print("size: ok")
PY
