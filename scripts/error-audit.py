#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""error-audit.py - is every documented error of a public call produced
by at least one test?

Usage: scripts/error-audit.py [--srcdir DIR] [--list] [--all]

1. From the doc comment (/** ... */) right above each public declaration
   in include/compio.h and include/compio/*.h (CIO_EXTERN functions and
   static inline cio_* helpers), take the function name and every CIO_E*
   code the comment names. A comment "See cio_x." or "See cio_x and
   cio_y." stands for cio_x's codes. Rules a header states once for all
   its calls (net.h: "calls that wait return CIO_EPERM outside a task")
   are not expanded: only what a call's own comment lists is audited.
2. Heuristic for "a test produces it": some function body in tests/
   (a START_TEST block or any other top-level function, comments and
   strings stripped) reaches the function and names the code. A body
   reaches what it calls (`name(`) and, transitively, what the same
   file's functions that it calls or names (a task body handed to a
   runner) reach. So `spawn_error(...) == CIO_ENOENT` in a test counts
   when spawn_error calls cio_command_spawn. A code named for another
   reason in such a body is counted too: the audit finds missing tests,
   it does not prove the ones it credits.
3. Pairs that cannot be produced here are listed, with the reason, in
   scripts/error-audit.allow ("function CODE reason...").

Prints one line per gap ("header:line: function: CODE") and a summary;
exits 1 if a gap is not in the allow file. An allow entry for a pair
that is covered now, or no longer documented, is reported as stale (and
fails the run with --strict; not by default, so that a test added for
another platform does not break the build). --list prints every audited
pair with where it is covered. --all also prints allowed gaps.
"""
import argparse
import glob
import os
import re
import sys

CODE_RE = re.compile(r"\bCIO_E[A-Z0-9_]+\b")
DECL_RE = re.compile(
    r"(?:CIO_EXTERN|static\s+inline)\s+[^;{]*?\b(cio_[A-Za-z0-9_]+)\s*\(",
    re.S)
CALL_RE = re.compile(r"\b(cio_\w+)\s*\(")
SEE_RE = re.compile(r"^\s*See\s+(cio_\w+)(?:\s+and\s+(cio_\w+))?\.?\s*$")


def strip_c(text):
    """Blank out comments and string/char literals, keeping line breaks."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * max(0, j - i - 1) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def header_pairs(srcdir):
    """{function: (header, line, [codes], see)} from the public headers."""
    docs = {}
    files = [os.path.join(srcdir, "include", "compio.h")]
    files += sorted(glob.glob(os.path.join(srcdir, "include", "compio",
                                           "*.h")))
    for path in files:
        text = open(path, encoding="utf-8").read()
        rel = os.path.relpath(path, srcdir)
        for m in re.finditer(r"/\*\*(.*?)\*/", text, re.S):
            comment = m.group(1)
            rest = text[m.end():]
            # The declaration right after the comment (blank lines only).
            d = DECL_RE.match(rest.lstrip())
            if d is None:
                continue
            name = d.group(1)
            line = text.count("\n", 0, m.end()) + 1
            body = " ".join(l.strip().lstrip("*").strip()
                            for l in comment.splitlines()).strip()
            codes = sorted(set(CODE_RE.findall(comment)))
            see = SEE_RE.match(body)
            docs[name] = (rel, line, codes,
                          [s for s in see.groups() if s] if see else [])
    for name, (rel, line, codes, see) in list(docs.items()):
        if see and not codes:
            inherited = set()
            for s in see:
                if s in docs:
                    inherited.update(docs[s][2])
            docs[name] = (rel, line, sorted(inherited), see)
    return docs


def test_bodies(srcdir):
    """(file, first line, functions reached, codes named) of every
    top-level brace block in tests/."""
    files = set()
    for p in ["**/*.c", "**/*.h"]:
        files.update(glob.glob(os.path.join(srcdir, "tests", p),
                               recursive=True))
    bodies = []
    for path in sorted(files):
        try:
            text = strip_c(open(path, encoding="utf-8",
                                errors="replace").read())
        except OSError:
            continue
        rel = os.path.relpath(path, srcdir)
        local = []  # (name, line, calls, idents, codes)
        depth, start = 0, None
        for i, c in enumerate(text):
            if c == "{":
                if depth == 0:
                    start = i
                depth += 1
            elif c == "}" and depth > 0:
                depth -= 1
                if depth == 0 and start is not None:
                    # The signature before the brace names the body.
                    b = max(text.rfind(";", 0, start),
                            text.rfind("}", 0, start)) + 1
                    head = text[b:start]
                    m = re.search(r"(\w+)\s*\([^()]*\)\s*$", head)
                    if m and m.group(1) == "START_TEST":
                        m = re.search(r"START_TEST\s*\(\s*(\w+)", head)
                    name = m.group(1) if m else None
                    chunk = text[start:i + 1]
                    local.append((name, text.count("\n", 0, b) + 1,
                                  set(CALL_RE.findall(chunk)),
                                  set(re.findall(r"\b[A-Za-z_]\w*\b",
                                                 chunk)),
                                  set(CODE_RE.findall(chunk))))
                    start = None
        # A body reaches what it calls, and what the same file's
        # functions it calls or passes (task bodies) reach in turn.
        byname = {}
        for k, item in enumerate(local):
            if item[0]:
                byname.setdefault(item[0], []).append(k)
        memo = {}

        def reach(k, stack):
            if k in memo:
                return memo[k]
            if k in stack:
                return set()
            stack.add(k)
            out = set(local[k][2])
            for ident in local[k][3]:
                for j in byname.get(ident, ()):
                    if j != k:
                        out |= reach(j, stack)
            stack.discard(k)
            memo[k] = out
            return out

        for k, (name, line, calls, idents, codes) in enumerate(local):
            bodies.append((rel, line, reach(k, set()), codes))
    return bodies


def load_allow(path):
    allow = {}
    if not os.path.exists(path):
        return allow
    for n, raw in enumerate(open(path, encoding="utf-8"), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 3:
            sys.exit("%s:%d: want 'function CODE reason'" % (path, n))
        allow[(parts[0], parts[1])] = (parts[2], n)
    return allow


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--srcdir", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), ".."))
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--strict", action="store_true")
    a = ap.parse_args()
    srcdir = os.path.normpath(a.srcdir)
    docs = header_pairs(srcdir)
    bodies = test_bodies(srcdir)
    allow_path = os.path.join(srcdir, "scripts", "error-audit.allow")
    allow = load_allow(allow_path)

    # Index: which bodies call each function.
    pairs = covered = 0
    gaps, allowed, stale = [], [], []
    seen_pairs = set()
    for name in sorted(docs):
        rel, line, codes, _ = docs[name]
        if not codes:
            continue
        callers = [b for b in bodies if name in b[2]]
        for code in codes:
            pairs += 1
            seen_pairs.add((name, code))
            hit = next((b for b in callers if code in b[3]), None)
            if hit is not None:
                covered += 1
                if (name, code) in allow:
                    stale.append("%s:%d: %s %s is allowed but covered by "
                                 "%s:%d" % (os.path.relpath(allow_path,
                                                            srcdir),
                                            allow[(name, code)][1], name,
                                            code, hit[0], hit[1]))
                if a.list:
                    print("ok   %s %s  (%s:%d)" % (name, code, hit[0],
                                                  hit[1]))
            elif (name, code) in allow:
                allowed.append((rel, line, name, code,
                                allow[(name, code)][0]))
            else:
                gaps.append((rel, line, name, code, len(callers)))
    for (name, code), (_, n) in allow.items():
        if (name, code) not in seen_pairs:
            stale.append("%s:%d: %s %s is allowed but not documented" %
                         (os.path.relpath(allow_path, srcdir), n, name,
                          code))
    for rel, line, name, code, ncall in gaps:
        print("%s:%d: %s: %s (no test body calls it and names the code%s)"
              % (rel, line, name, code,
                 "" if ncall else "; no test calls it at all"))
    if a.all:
        for rel, line, name, code, why in allowed:
            print("%s:%d: %s: %s allowed: %s" % (rel, line, name, code, why))
    for s in stale:
        print(s)
    print("error-audit: %d functions, %d documented (function, code) pairs:"
          " %d covered by a test, %d allowed (cannot be produced here), "
          "%d gaps, %d stale allow entries"
          % (len([d for d in docs.values() if d[2]]), pairs, covered,
             len(allowed), len(gaps), len(stale)))
    return 1 if gaps or (stale and a.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
