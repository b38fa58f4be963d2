#!/usr/bin/env python3
"""Fails when the modules of a Rust crate depend on each other in a cycle.

Nodes are files (each `.rs` file is one module). An edge A -> B means a path in A names an
item of B (`crate::x::y`, `super::z`, in `use` trees and in code). A module may use its own
submodules and its ancestors' items freely (declaring `mod child;` and re-exporting from it is
containment, not a dependency), so edges between a file and its ancestors or descendants are
not counted; every other cycle is reported, with its files, and the exit status is 1.

With `--layers FILE` (a line per layer, lowest first, naming top-level modules), a module
may also use only modules of its own layer or lower ones; the first root is checked.

Usage: scripts/check-module-cycles.py [--layers FILE] [src-dir ...]   (default: src)
"""

import os
import re
import sys

COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
STRING = re.compile(r'r#*"(?:.|\n)*?"#*|"(?:\\.|[^"\\])*"')
USE = re.compile(r"\buse\s+([^;]+);")
PATH = re.compile(r"\b((?:crate|super|self)(?:\s*::\s*(?:super|[A-Za-z_][A-Za-z0-9_]*))+)")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def module_path(root, file):
    rel = os.path.relpath(file, root)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return tuple(rel)


def expand_use_tree(text):
    """Expands `a::{b::c, d}` into ["a::b::c", "a::d"]."""
    text = re.sub(r"\s+", "", text)

    def parse(s, i, prefix):
        out, cur = [], ""
        while i < len(s):
            ch = s[i]
            if ch == "{":
                inner, i = parse(s, i + 1, prefix + cur)
                out.extend(inner)
                cur = None
            elif ch == "}":
                if cur:
                    out.append(prefix + cur)
                return out, i
            elif ch == ",":
                if cur:
                    out.append(prefix + cur)
                cur = ""
            else:
                if cur is None:
                    cur = ""
                cur += ch
            i += 1
        if cur:
            out.append(prefix + cur)
        return out, i

    paths, _ = parse(text, 0, "")
    return [p.split(" as ")[0] for p in paths]


def resolve(path, here, modules):
    """Maps a path written in module `here` to the longest known module it names."""
    parts = [p for p in re.split(r"::", path) if p]
    if not parts:
        return None
    base = list(here)
    if parts[0] == "crate":
        base, parts = [], parts[1:]
    elif parts[0] in ("super", "self"):
        while parts and parts[0] in ("super", "self"):
            if parts[0] == "super":
                if not base:
                    return None
                base = base[:-1]
            parts = parts[1:]
    else:
        return None
    target = tuple(base)
    best = target if target in modules else None
    for p in parts:
        if not IDENT.fullmatch(p):
            break
        target = target + (p,)
        if target in modules:
            best = target
    return best


def related(a, b):
    return a[: len(b)] == b or b[: len(a)] == a


def strongly_connected(graph):
    index, low, stack, on_stack, result, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        work = [(v, iter(sorted(graph[v])))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    advanced = True
                    break
                if w in on_stack:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                result.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return result


def read_layers(path):
    ranks = {}
    with open(path, encoding="utf-8") as f:
        lines = [l.split("#")[0].split() for l in f]
    for rank, names in enumerate(l for l in lines if l):
        for name in names:
            ranks[name] = rank
    return ranks


def check(root, ranks=None):
    files = {}
    for dirpath, dirnames, filenames in os.walk(root):
        # Binaries are separate crates that only use the library.
        dirnames[:] = [d for d in dirnames if not (dirpath == root and d == "bin")]
        for name in filenames:
            if name.endswith(".rs"):
                full = os.path.join(dirpath, name)
                files[module_path(root, full)] = full
    modules = set(files)
    graph = {m: set() for m in modules}
    for here, file in files.items():
        with open(file, encoding="utf-8") as f:
            source = STRING.sub('""', COMMENT.sub("", f.read()))
        # Test modules inside a file may use anything; they are not part of the layering.
        source = re.split(r"#\[cfg\(test\)\]\s*mod\s+tests", source)[0]
        paths = []
        for use in USE.findall(source):
            paths.extend(expand_use_tree(use))
        paths.extend(re.sub(r"\s+", "", p) for p in PATH.findall(USE.sub("", source)))
        for p in paths:
            target = resolve(p, here, modules)
            if target is not None and not related(target, here):
                graph[here].add(target)
    upward = 0
    if ranks:
        for here in sorted(graph):
            for target in sorted(graph[here]):
                a = ranks.get(here[0] if here else "lib", len(ranks))
                b = ranks.get(target[0] if target else "lib", len(ranks))
                if b > a:
                    upward += 1
                    print(f"{root}: {'/'.join(here)} uses {'/'.join(target)}, a higher layer")
    cycles = [c for c in strongly_connected(graph) if len(c) > 1]
    for comp in cycles:
        names = sorted("/".join(m) or "lib" for m in comp)
        print(f"{root}: cycle of {len(comp)} modules: " + ", ".join(names))
        members = set(comp)
        for m in sorted(comp):
            inside = sorted("/".join(t) for t in graph[m] if t in members)
            print(f"    {'/'.join(m) or 'lib'} -> {', '.join(inside)}")
    return len(cycles) + upward


def main():
    args = sys.argv[1:]
    ranks = None
    if args[:1] == ["--layers"]:
        ranks = read_layers(args[1])
        args = args[2:]
    roots = args or ["src"]
    total = sum(check(r, ranks if i == 0 else None) for i, r in enumerate(roots))
    if total:
        print(f"{total} module cycle(s) or upward use(s)")
        return 1
    layered = " (and layers)" if ranks else ""
    print("no module cycles" + layered + " in " + ", ".join(roots))
    return 0


if __name__ == "__main__":
    sys.exit(main())
