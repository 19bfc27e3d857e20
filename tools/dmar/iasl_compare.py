#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check dmar-dump --json against ACPICA's own decode of the same tables.

For every table given, runs `iasl -d` (Debian's acpica-tools) and
`dmar-dump --json`, and compares every field both decode, matched by byte
offset: the host address width and flags; DRHD flags, segment and register
base; RMRR segment, base and limit; ATSR flags and segment; RHSA base and
proximity domain; ANDD device number and name; and for every device scope
its type, enumeration ID, start bus and whole path. Every structure either
side decodes must be present on the other side. iasl 2020 stops at the
first subtable type it does not know (SATC, type 6); structures from there
on are left out, and counted.

usage: iasl_compare.py DMAR_DUMP TABLE...
Prints one PASS/FAIL line per table and exits 1 if any failed.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

LINE = re.compile(r'^\[([0-9A-F]+)h (\d{4,})\s+(\d+)\]\s+(.*?) : (.*)$')
TYPES = {0: 'drhd', 1: 'rmrr', 2: 'atsr', 3: 'rhsa', 4: 'andd', 5: 'satc'}


def iasl_fields(path, tmp):
    """Run iasl -d on a copy of path; return [(offset, name, value)], stop."""
    work = os.path.join(tmp, 'table.dat')
    shutil.copyfile(path, work)
    subprocess.run(['iasl', '-d', work], cwd=tmp, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(tmp, 'table.dsl'), encoding='latin-1') as f:
        text = f.read()
    os.unlink(os.path.join(tmp, 'table.dsl'))
    fields = []
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            fields.append((int(m.group(2)), m.group(4).strip(),
                           m.group(5).strip()))
    stop = None
    if 'Unknown DMAR subtable type' in text:
        stop = [o for o, n, v in fields if n == 'Subtable Type'][-1]
    return fields, stop


def hexval(v):
    return int(v.split()[0], 16)


def iasl_structures(fields):
    """Group iasl's fields into structures and scopes, keyed by offset."""
    header, structs, cur, scope = {}, {}, None, None
    for off, name, value in fields:
        if name == 'Subtable Type':
            cur = {'offset': off, 'type': hexval(value), 'scopes': []}
            structs[off] = cur
            scope = None
        elif cur is None:
            header[name] = value
        elif name == 'Device Scope Type':
            scope = {'offset': off, 'type': hexval(value), 'path': []}
            cur['scopes'].append(scope)
        elif scope is not None and name == 'Enumeration ID':
            scope['enumeration_id'] = hexval(value)
        elif scope is not None and name == 'PCI Bus Number':
            scope['bus'] = hexval(value)
        elif scope is not None and name == 'PCI Path':
            scope['path'].append([int(x, 16) for x in value.split(',')])
        elif scope is None:
            cur[name] = value
    return header, structs


def compare(tool, path, tmp):
    """Return (number of fields compared, list of mismatches, left out)."""
    fields, stop = iasl_fields(path, tmp)
    header, istructs = iasl_structures(fields)
    res = subprocess.run([tool, '--json', path], stdout=subprocess.PIPE,
                         check=False)
    if res.returncode not in (0, 1):
        return 0, ['dmar-dump exited %d' % res.returncode], 0
    js = json.loads(res.stdout)
    bad, n = [], 0

    def eq(what, a, b):
        nonlocal n
        n += 1
        if a != b:
            bad.append('%s: iasl %r, dmar-dump %r' % (what, a, b))

    eq('host address width', hexval(header['Host Address Width']) + 1,
       js['host_address_width'])
    eq('flags', hexval(header['Flags']), js['flags'])

    jstructs = {}
    for key in TYPES.values():
        for s in js[key]:
            jstructs[s['offset']] = (key, s)
    for u in js['unknown']:
        jstructs[u['offset']] = ('unknown', u)
    left_out = 0
    for off in sorted(jstructs):
        if stop is not None and off >= stop:
            left_out += 1
        elif off not in istructs:
            bad.append('offset %d: decoded by dmar-dump only' % off)
    for off, ist in sorted(istructs.items()):
        if stop is not None and off >= stop:
            continue
        if off not in jstructs:
            bad.append('offset %d: decoded by iasl only' % off)
            continue
        key, s = jstructs[off]
        eq('offset %d type' % off, TYPES.get(ist['type'], 'unknown'), key)
        w = 'offset %d ' % off
        if key in ('drhd', 'atsr'):
            eq(w + 'flags', hexval(ist['Flags']), s['flags'])
        if key in ('drhd', 'rmrr', 'atsr'):
            eq(w + 'segment', hexval(ist['PCI Segment Number']), s['segment'])
        if key == 'drhd':
            eq(w + 'base', hexval(ist['Register Base Address']),
               int(s['base'], 16))
        if key in ('rmrr', 'rhsa'):
            eq(w + 'base', hexval(ist['Base Address']), int(s['base'], 16))
        if key == 'rmrr':
            eq(w + 'limit', hexval(ist['End Address (limit)']),
               int(s['limit'], 16))
        if key == 'rhsa':
            eq(w + 'proximity domain', hexval(ist['Proximity Domain']),
               s['proximity_domain'])
        if key == 'andd':
            eq(w + 'device number', hexval(ist['Device Number']),
               s['device_number'])
            eq(w + 'name', ist['Device Name'].strip('"'), s['name'])
        if key in ('drhd', 'rmrr', 'atsr'):
            eq(w + 'scope count', len(ist['scopes']), len(s['scopes']))
            for isc, jsc in zip(ist['scopes'], s['scopes']):
                v = 'scope %d ' % isc['offset']
                eq(v + 'offset', isc['offset'], jsc['offset'])
                eq(v + 'type', isc['type'], jsc['type'])
                eq(v + 'enumeration id', isc['enumeration_id'],
                   jsc['enumeration_id'])
                eq(v + 'bus', isc['bus'], jsc['bus'])
                eq(v + 'path', isc['path'], jsc['path'])
    return n, bad, left_out


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    tool, failed = sys.argv[1], 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in sys.argv[2:]:
            name = os.path.basename(path)
            try:
                n, bad, left = compare(tool, path, tmp)
            except (subprocess.CalledProcessError, ValueError, KeyError) as e:
                n, bad, left = 0, ['error: %r' % e], 0
            if n == 0 and not bad:
                bad = ['no field compared']
            extra = ', %d structure(s) past iasl\'s stop' % left if left else ''
            if bad:
                failed += 1
                print('FAIL  iasl agrees: %s' % name)
                for b in bad[:10]:
                    print('        ' + b)
            else:
                print('PASS  iasl agrees: %s (%d fields%s)' % (name, n, extra))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
