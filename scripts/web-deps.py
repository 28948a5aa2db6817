#!/usr/bin/env python3
"""Prints the module dependency graph of ferry-web (who names whom through `crate::`
and `super::` paths, comments left out) and checks the layering: modules under http/
import nothing outside http except config, and no module depends on itself through
others. Exits 1 on a violation. Run from the repository root: scripts/web-deps.py"""

import pathlib
import re
import sys

SRC = pathlib.Path("crates/ferry-web/src")
TOP = sorted(
    p.stem if p.is_file() else p.name
    for p in SRC.iterdir()
    if (p.suffix == ".rs" and p.stem != "lib") or p.is_dir()
)


def module_of(path):
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "mod":
        parts.pop()
    return parts


def expand(tree):
    """Paths of a use tree: `a::{b, c::{d, e}}` -> a::b, a::c::d, a::c::e."""
    tokens = re.findall(r"::|\{|\}|,|[A-Za-z_][A-Za-z0-9_]*|\*", tree)
    pos = 0

    def parse(prefix):
        nonlocal pos
        paths, path = [], list(prefix)
        while pos < len(tokens):
            tok = tokens[pos]
            pos += 1
            if tok == "{":
                paths += parse(path)
                path = None
            elif tok == ",":
                if path is not None and len(path) > len(prefix):
                    paths.append(path)
                path = list(prefix)
            elif tok == "}":
                break
            elif tok != "::" and path is not None:
                path = path + [tok]
        if path is not None and len(path) > len(prefix):
            paths.append(path)
        return paths

    return parse([])


def resolve(path):
    """The module a crate path names: http::x for a piece of http, else the top level."""
    if path[0] == "self":
        return None
    if path[0] in RENAMES:
        return RENAMES[path[0]]
    if path[0] == "http" and len(path) > 1 and path[1] in HTTP:
        return "http::" + path[1]
    return path[0] if path[0] in TOP else None


HTTP = sorted(p.stem for p in (SRC / "http").glob("*.rs") if p.stem != "mod")
# Re-exports at the crate root stand for their modules.
RENAMES = {"Config": "config", "AllowedOrigins": "config", "Error": "http::error", "Result": "http::error"}


def targets(text, me):
    """Modules a file names through crate::, super:: (its parent's children)."""
    text = re.sub(r"//[^\n]*", "", text)  # comments and docs do not count
    text = text.split("#[cfg(test)]\nmod tests")[0]  # unit tests' super:: is the file
    found = set()
    tree = r"(\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}|[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*(?:::\{(?:[^{}]|\{[^{}]*\})*\})?)"
    for m in re.finditer(r"\bcrate::" + tree, text):
        for path in expand(m.group(1)):
            found.add(resolve(path))
    parent = me[:-1]
    for m in re.finditer(r"\bsuper::" + tree, text):
        if m.group(1) == "*":  # a unit test's `use super::*`: the file itself
            continue
        for path in expand(m.group(1)):
            found.add(resolve(parent + path) if parent else resolve(path))
    found.discard(None)
    found.discard("::".join(me))
    return found


graph = {}
for path in sorted(SRC.rglob("*.rs")):
    me = module_of(path)
    if me == ["lib"]:
        continue
    graph["::".join(me)] = sorted(targets(path.read_text(), me))

bad = []
for mod, deps in graph.items():
    print(f"{mod:24} -> {', '.join(deps) if deps else '(nothing)'}")
    if mod.startswith("http"):
        for d in deps:
            if not (d.startswith("http") or d == "config"):
                bad.append(f"{mod} imports {d}")

# Cycles, between modules and between top-level modules (http counts as one).
top = {}
for mod, deps in graph.items():
    a = mod.split("::")[0]
    for d in deps:
        b = d.split("::")[0]
        if a != b:
            top.setdefault(a, set()).add(b)


def find_cycle(edges):
    def walk(node, stack):
        for nxt in sorted(edges.get(node, ())):
            if nxt in stack:
                return stack[stack.index(nxt):] + [nxt]
            found = walk(nxt, stack + [nxt])
            if found:
                return found
        return None

    for start in sorted(edges):
        found = walk(start, [start])
        if found:
            return found
    return None


for edges in ({m: set(d) for m, d in graph.items()}, top):
    c = find_cycle(edges)
    if c:
        bad.append("cycle: " + " -> ".join(c))

print()
print("top level:", "; ".join(f"{a} -> {', '.join(sorted(b))}" for a, b in sorted(top.items())))
if bad:
    print("\n".join(["VIOLATIONS:"] + bad))
    sys.exit(1)
print("OK: http/* imports only http/* and config; no cycle between modules")
