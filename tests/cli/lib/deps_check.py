#!/usr/bin/env python3
"""deps_check.py CACHE/KREL: every header that the compiler read for a
cached pristine object of vmlinux (its Kbuild .cmd file) is reached from the object's
unit in the dependency index (CACHE/KREL/deps-ID).  Prints the count of
units and headers checked and each one missing; exits 1 if any is."""
import glob
import os
import re
import sys

top = sys.argv[1]
deps = glob.glob(os.path.join(top, 'deps-*'))
if len(deps) != 1:
    sys.exit('expected one dependency index in %s, found %d' % (top, len(deps)))
nodes, incs, index = [], [], {}
with open(deps[0]) as f:
    f.readline()
    for line in f:
        fields = line.split()
        index[fields[1]] = len(nodes)
        nodes.append(fields[1])
        incs.append([int(x) for x in fields[3:]])


def reached(unit):
    seen, todo = {unit}, [unit]
    while todo:
        for m in incs[todo.pop()]:
            if m not in seen:
                seen.add(m)
                todo.append(m)
    return {nodes[i] for i in seen}


units = headers = missing = modules = 0
for cmd in glob.glob(os.path.join(top, 'objects', '*', '**', '*.o.cmd'),
                     recursive=True):
    text = open(cmd).read()
    if ' -DMODULE ' in text:
        modules += 1    # the index holds vmlinux's units only, for now
        continue
    m = re.search(r'^source_\S+ := \.\./(\S+)$', text, re.M)
    if not m or m.group(1) not in index:
        print('unit of %s not in the index' % cmd)
        missing += 1
        continue
    have = reached(index[m.group(1)])
    for dep in re.findall(r'^\s+(\S+\.h)\s*\\?$', text, re.M):
        path = os.path.normpath(dep[3:] if dep.startswith('../') else 'obj/' + dep)
        # headers a directory's own rule generates while building it (selinux's
        # flask.h from classmap.h): no patch changes them, and the prepared
        # tree has them only once such a unit was built; see docs/cache.md
        if path.startswith('obj/') and not path.startswith('obj/include/') \
                and not path.startswith('obj/arch/'):
            continue
        headers += 1
        if path not in have:
            print('%s reads %s, the index does not say so' % (m.group(1), path))
            missing += 1
    units += 1
print('%d units, %d headers read, %d missing (%d module objects left out)'
      % (units, headers, missing, modules))
sys.exit(1 if missing or not units else 0)
