#!/usr/bin/env python3
"""Lists expressions in src/data/synth*.c whose evaluation order, which C leaves unspecified, decides
which random draw goes where (two draws in the arguments of one call, in the operands of one operator,
in one initializer list or subscript). Each one makes the corpus differ between compilers (gcc and
clang evaluate arguments in different orders). Needs clang. Exit status 1 when any is found.
usage: scripts/synth_draw_order.py [REPO_ROOT]"""
import json, subprocess, sys, glob, os
root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
files = sorted(glob.glob(os.path.join(root, 'src/data/synth*.c')))
seed_fns = {'sy_u32'}
asts = {}
for f in files:
    out = subprocess.run(['clang', '-std=c11', '-D_GNU_SOURCE', '-I' + os.path.join(root, 'include'), '-I' + os.path.join(root, 'src'),
                          '-fsyntax-only', '-Xclang', '-ast-dump=json', f], capture_output=True, text=True, check=True)
    asts[f] = json.loads(out.stdout)

def walk(n):
    yield n
    for k in n.get('inner', []) or []:
        yield from walk(k)

def callee(n):
    # name of the function a CallExpr calls
    for k in walk(n['inner'][0]):
        if k.get('kind') == 'DeclRefExpr' and 'referencedDecl' in k:
            return k['referencedDecl'].get('name')
    return None

# function bodies
bodies = {}
for f, a in asts.items():
    for d in a.get('inner', []):
        if d.get('kind') == 'FunctionDecl' and any(k.get('kind') == 'CompoundStmt' for k in d.get('inner', [])):
            if d.get('loc', {}).get('includedFrom'): continue
            bodies.setdefault(d['name'], []).append((f, d))
rng = set(seed_fns)
changed = True
while changed:
    changed = False
    for name, lst in bodies.items():
        if name in rng: continue
        for f, d in lst:
            if any(k.get('kind') == 'CallExpr' and callee(k) in rng for k in walk(d)):
                rng.add(name); changed = True; break

def draws(n):
    return any(k.get('kind') == 'CallExpr' and callee(k) in rng for k in walk(n))

def line_of(n, f, last):
    r = n.get('range', {}).get('begin', {})
    l = r.get('line') or r.get('expansionLoc', {}).get('line')
    return l or last

bad = 0
for f, a in asts.items():
    last = 0
    for d in a.get('inner', []):
        if d.get('loc', {}).get('includedFrom') or d.get('kind') != 'FunctionDecl': continue
        for n in walk(d):
            loc = n.get('loc', {}) or {}
            if 'line' in loc: last = loc['line']
            rng_l = n.get('range', {}).get('begin', {})
            if 'line' in rng_l: last = rng_l['line']
            k = n.get('kind')
            parts = None
            if k == 'CallExpr':
                parts = n['inner'][1:]
            elif k == 'BinaryOperator' and n.get('opcode') not in ('&&', '||', ',', '='):
                parts = n['inner']
            elif k in ('InitListExpr', 'ArraySubscriptExpr'):
                parts = n.get('inner', [])
            elif k == 'CompoundAssignOperator':
                parts = n['inner']
            if parts and sum(1 for p in parts if draws(p)) >= 2:
                bad += 1
                print(f"{f.split('/')[-1]}:{last}: {k} {callee(n) if k=='CallExpr' else n.get('opcode','')}")
print(f'{len(rng)} functions draw random numbers; {bad} expressions draw in an unspecified order', file=sys.stderr)
sys.exit(1 if bad else 0)
