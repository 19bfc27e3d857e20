#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# ktap.py: read the KUnit results that the guest's kunit scenario printed
# between "VTD-KTAP-BEGIN <suite>" and "VTD-KTAP-END <suite>" lines of a
# QEMU console log, parse them as KTAP v1 and print one line per suite:
#
#   kunit <label> <suite>: N passed, N failed, N skipped
#
# followed by one "  FAIL <suite>.<case>[.<param>]" line per failed test.
# Only leaves are counted: a parameterized case counts its parameters, not
# itself. "# SKIP" (and "# TODO") directives count as skipped.
#
# usage: scripts/ktap.py LOG [LOG...] [--label NAME] [--totals FILE]
#        scripts/ktap.py --selftest
#
#   --label NAME   label printed on each line (default: the log's name)
#   --totals FILE  append "passed failed skipped" for this run to FILE;
#                  a run with no suite at all appends "0 1 0"
#
# Exit status: 0 if suites were found and nothing failed, 1 otherwise,
# 2 on usage errors.

import argparse
import os
import re
import sys

BEGIN_RE = re.compile(r'VTD-KTAP-BEGIN (\S+)')
END_RE = re.compile(r'VTD-KTAP-END (\S+)')
# A printk timestamp as the console shows it: "[   12.345678] ".
STAMP_RE = re.compile(r'^\[\s*\d+\.\d+\] ')
VERSION_RE = re.compile(r'^(\s*)(?:KTAP|TAP) version \d+\s*$')
SUBTEST_RE = re.compile(r'^(\s*)# Subtest: (.*?)\s*$')
PLAN_RE = re.compile(r'^(\s*)1\.\.(\d+)\s*$')
RESULT_RE = re.compile(r'^(\s*)(ok|not ok) (\d+)(?: -)? ?([^#]*?)\s*(?:#\s*(.*?)\s*)?$')
DIAG_RE = re.compile(r'^(\s*)# ?(.*?)\s*$')
STATS_RE = re.compile(r'^(\S+): pass:(\d+) fail:(\d+) skip:(\d+) total:(\d+)$')


class Node:
	"""One KTAP level: a plan and the results under it."""

	def __init__(self, indent, name=None):
		self.indent = indent
		self.name = name
		self.plan = None
		self.results = []
		self.diags = []
		self.pending = None


class Result:
	def __init__(self, ok, num, desc, directive, children, diags):
		self.ok = ok
		self.num = num
		self.desc = desc
		self.directive = directive or ''
		self.children = children
		self.diags = diags


class Counts:
	def __init__(self):
		self.passed = 0
		self.failed = 0
		self.skipped = 0
		self.failures = []	# (name, diagnostics)


def strip_prefix(line, prefix):
	"""Drop the console's prefix from a line inside a block."""
	if prefix and line.startswith(prefix):
		return line[len(prefix):]
	return STAMP_RE.sub('', line, count=1)


def parse_ktap(lines):
	"""Build the tree of one block; returns the outermost Node."""
	root = Node(0)
	stack = [root]

	def level(indent):
		# Close deeper levels and return the one at this indent. The
		# outermost level closed is kept as its pending subtest: the
		# next result line at this indent concludes it.
		while len(stack) > 1 and stack[-1].indent > indent:
			top = stack.pop()
			stack[-1].pending = top
		if stack[-1].indent < indent:
			stack.append(Node(indent))
		return stack[-1]

	for line in lines:
		line = line.expandtabs(4)
		m = VERSION_RE.match(line)
		if m:
			ind = len(m.group(1))
			if ind > stack[-1].indent:
				stack.append(Node(ind))
			continue
		m = SUBTEST_RE.match(line)
		if m:
			ind = len(m.group(1))
			if ind > stack[-1].indent:
				stack.append(Node(ind, m.group(2)))
			elif ind == stack[-1].indent and stack[-1].name is None \
					and not stack[-1].results:
				stack[-1].name = m.group(2)
			elif ind == stack[-1].indent and stack[-1] is not root:
				# A new subtest without a version line ends the last.
				stack.pop()
				stack.append(Node(ind, m.group(2)))
			continue
		m = PLAN_RE.match(line)
		if m:
			node = level(len(m.group(1)))
			node.plan = int(m.group(2))
			continue
		m = RESULT_RE.match(line)
		if m:
			node = level(len(m.group(1)))
			closed, node.pending = node.pending, None
			if closed is not None and not closed.results \
					and closed.plan is None:
				closed = None
			node.results.append(Result(m.group(2) == 'ok',
						   int(m.group(3)),
						   m.group(4).strip(),
						   m.group(5), closed,
						   node.diags))
			node.diags = []
			continue
		m = DIAG_RE.match(line)
		if m:
			node = level(len(m.group(1)))
			node.diags.append(m.group(2))
	# Results never concluded (a truncated block): hang them on the root.
	while len(stack) > 1:
		top = stack.pop()
		stack[-1].results.append(Result(False, 0, top.name or '?',
						'', top, ['block ends early']))
	return root


def case_stats(r):
	"""KUnit's "# <case>: pass:P fail:F skip:S total:T" line before r."""
	for d in reversed(r.diags):
		m = STATS_RE.match(d)
		if m and m.group(1) == r.desc:
			return [int(m.group(i)) for i in range(2, 6)]
	return None


def count(node, path, c):
	"""Add the leaves under node to c; path names the level."""
	for r in node.results:
		name = path + [r.desc or str(r.num)]
		skip = re.match(r'(SKIP|TODO)\b', r.directive, re.I)
		st = case_stats(r)
		sub = Counts()
		if r.children is not None:
			count(r.children, name, sub)
		if st and st[3] > sub.passed + sub.failed + sub.skipped:
			# Linux 6.1 keeps only the last parameter's line of a
			# parameterized case in the debugfs results; KUnit's
			# own count of the parameters is complete.
			c.passed += st[0]
			c.failed += st[1]
			c.skipped += st[2]
			c.failures += sub.failures
			if st[1] > sub.failed:
				c.failures.append(('.'.join(name),
						   ['%d of %d parameters failed' %
						    (st[1], st[3])]))
		elif r.children is not None and r.children.results:
			c.passed += sub.passed
			c.failed += sub.failed
			c.skipped += sub.skipped
			c.failures += sub.failures
			if not r.ok and not skip and sub.failed == 0:
				# The level failed without a failing leaf (init
				# error, crash): that is one failure.
				c.failed += 1
				c.failures.append(('.'.join(name), r.diags))
		elif r.children is not None and r.children.plan and not skip:
			# A planned level that reported nothing.
			c.failed += 1
			c.failures.append(('.'.join(name),
					   ['planned %d, reported none' %
					    r.children.plan]))
		elif skip:
			c.skipped += 1
		elif r.ok:
			c.passed += 1
		else:
			c.failed += 1
			c.failures.append(('.'.join(name), r.diags))
	if node.plan is not None and len(node.results) < node.plan:
		c.failed += 1
		c.failures.append(('.'.join(path + ['<missing>']),
				   node.diags + ['planned %d, reported %d' %
						 (node.plan, len(node.results))]))


def extract(lines):
	"""Yield (suite, block lines, complete) for every marked block."""
	suite = None
	prefix = ''
	block = []
	for raw in lines:
		raw = raw.rstrip('\r\n')
		if suite is None:
			m = BEGIN_RE.search(raw)
			if m:
				suite = m.group(1)
				prefix = raw[:m.start()]
				if STAMP_RE.match(prefix):
					prefix = ''
				block = []
			continue
		m = END_RE.search(raw)
		if m:
			yield suite, block, True
			suite = None
			continue
		m = BEGIN_RE.search(raw)
		if m:
			# A new block before the end of the last one.
			yield suite, block, False
			suite = m.group(1)
			prefix = raw[:m.start()]
			if STAMP_RE.match(prefix):
				prefix = ''
			block = []
			continue
		block.append(strip_prefix(raw, prefix))
	if suite is not None:
		yield suite, block, False


def suite_counts(block, complete):
	root = parse_ktap(block)
	c = Counts()
	# The results file wraps the suite in a one-test plan ("1..1",
	# "ok 1 <suite>"); skip that level so names start at the case.
	if len(root.results) == 1 and root.results[0].children is not None:
		r = root.results[0]
		count(r.children, [], c)
		if not r.ok and c.failed == 0 and \
				not re.match(r'(SKIP|TODO)\b', r.directive, re.I):
			c.failed += 1
			c.failures.append(('(suite)', r.diags +
					   r.children.diags))
	else:
		count(root, [], c)
	if not complete:
		c.failed += 1
		c.failures.append(('(results)', ['no VTD-KTAP-END: output cut off']))
	if c.passed + c.failed + c.skipped == 0:
		c.failed += 1
		c.failures.append(('(suite)', ['no test results']))
	return c


def run(logs, label, totals, out):
	tp = tf = ts = 0
	found = 0
	for log in logs:
		lab = label or os.path.splitext(os.path.basename(log))[0]
		try:
			with open(log, errors='replace') as f:
				lines = f.readlines()
		except OSError as e:
			print('ktap: %s' % e, file=out)
			continue
		for suite, block, complete in extract(lines):
			found += 1
			c = suite_counts(block, complete)
			print('kunit %s %s: %d passed, %d failed, %d skipped' %
			      (lab, suite, c.passed, c.failed, c.skipped), file=out)
			for name, diags in c.failures:
				print('  FAIL %s.%s' % (suite, name), file=out)
				for d in diags[-5:]:
					print('       # %s' % d, file=out)
			tp += c.passed
			tf += c.failed
			ts += c.skipped
	if not found:
		print('kunit %s: no VTD-KTAP-BEGIN/END blocks in %s' %
		      (label or '-', ' '.join(logs)), file=out)
		tf += 1
	if totals:
		with open(totals, 'a') as f:
			f.write('%d %d %d\n' % (tp, tf, ts))
	return 0 if found and tf == 0 else 1


# --- self-test ----------------------------------------------------------------

SELFTEST_LOG = '''\
[    5.000000] some boot line
VTD-KTAP-BEGIN alpha
KTAP version 1
1..1
    KTAP version 1
    # Subtest: alpha
    1..4
    ok 1 alpha_passes
    # alpha_fails: EXPECTATION FAILED at iova_kunit.c:42
    Expected a == b, but
    not ok 2 alpha_fails
    ok 3 alpha_skips # SKIP no hardware here
        KTAP version 1

        # Subtest: alpha_params
[   6.100000] random: crng init done
        ok 1 granule-1
        not ok 2 granule-4096
        ok 3 granule-65536
    # alpha_params: pass:2 fail:1 skip:0 total:3
    not ok 4 alpha_params
# alpha: pass:1 fail:2 skip:1 total:4
not ok 1 alpha
VTD-KTAP-END alpha
[    7.0] guest: VTD-KTAP-BEGIN beta
[    7.1] KTAP version 1
[    7.1] 1..1
[    7.1]     KTAP version 1
[    7.1]     # Subtest: beta
[    7.1]     1..2
[    7.1]     ok 1 beta_one
[    7.1]     ok 2 beta_two
[    7.1] ok 1 beta
[    7.2] VTD-KTAP-END beta
guest: VTD-KTAP-BEGIN gamma
guest: KTAP version 1
guest: 1..1
guest:     KTAP version 1
guest:     # Subtest: gamma
guest:     1..3
guest:     ok 1 gamma_one
guest: ok 1 gamma
guest: VTD-KTAP-END gamma
VTD-KTAP-BEGIN delta
KTAP version 1
1..1
    KTAP version 1
    # Subtest: delta
    # delta: failed to initialize (-12)
    1..2
not ok 1 delta
VTD-KTAP-END delta
VTD-KTAP-BEGIN zeta
KTAP version 1
1..1
    KTAP version 1
    # Subtest: zeta
    1..2
    ok 1 zeta_one
        ok 3 p3
    # zeta_params: pass:1 fail:1 skip:1 total:3
    not ok 2 zeta_params
# zeta: pass:1 fail:1 skip:0 total:2
# Totals: pass:2 fail:1 skip:1 total:4
not ok 1 zeta
VTD-KTAP-END zeta
VTD-KTAP-BEGIN epsilon
KTAP version 1
1..1
    KTAP version 1
    # Subtest: epsilon
    1..2
    ok 1 epsilon_one
'''

# suite: (passed, failed, skipped, failed names)
SELFTEST_WANT = {
	'alpha': (3, 2, 1, ['alpha.alpha_fails',
			    'alpha.alpha_params.granule-4096']),
	'beta': (2, 0, 0, []),
	'gamma': (1, 1, 0, ['gamma.<missing>']),
	'delta': (0, 1, 0, ['delta.<missing>']),
	'zeta': (2, 1, 1, ['zeta.zeta_params']),
	'epsilon': (1, 2, 0, ['epsilon.<missing>', 'epsilon.(results)']),
}


def selftest():
	import io
	import tempfile

	bad = 0

	def check(what, got, want):
		nonlocal bad
		if got != want:
			print('ktap selftest: FAIL %s: got %r, want %r' %
			      (what, got, want))
			bad += 1

	got = {}
	for suite, block, complete in extract(SELFTEST_LOG.splitlines(True)):
		c = suite_counts(block, complete)
		got[suite] = (c.passed, c.failed, c.skipped,
			      [suite + '.' + n for n, _ in c.failures])
	check('suites', sorted(got), sorted(SELFTEST_WANT))
	for s, want in SELFTEST_WANT.items():
		check('suite %s' % s, got.get(s), want)

	with tempfile.TemporaryDirectory() as d:
		log = os.path.join(d, 'x.log')
		tot = os.path.join(d, 'totals')
		with open(log, 'w') as f:
			f.write(SELFTEST_LOG)
		out = io.StringIO()
		check('exit status, failures', run([log], 'st', tot, out), 1)
		check('first line', out.getvalue().splitlines()[0],
		      'kunit st alpha: 3 passed, 2 failed, 1 skipped')
		beta = SELFTEST_LOG.split('VTD-KTAP-END alpha\n')[1]
		beta = beta.split('guest: VTD-KTAP-BEGIN gamma')[0]
		with open(log, 'w') as f:
			f.write(beta)
		out = io.StringIO()
		check('exit status, beta only', run([log], 'st', tot, out), 0)
		check('beta only output', out.getvalue(),
		      'kunit st beta: 2 passed, 0 failed, 0 skipped\n')
		with open(log, 'w') as f:
			f.write('no markers here\n')
		out = io.StringIO()
		check('exit status, no suites', run([log], 'st', tot, out), 1)
		with open(tot) as f:
			check('totals', f.read(), '9 7 2\n2 0 0\n0 1 0\n')

	print('ktap selftest: %s' % ('FAIL' if bad else 'PASS'))
	return 1 if bad else 0


def main():
	ap = argparse.ArgumentParser(
		description='Count KUnit results (KTAP) between VTD-KTAP-BEGIN/END '
			    'lines of guest console logs.')
	ap.add_argument('logs', nargs='*', metavar='LOG')
	ap.add_argument('--label', help='label for the output lines')
	ap.add_argument('--totals', metavar='FILE',
			help='append "passed failed skipped" to FILE')
	ap.add_argument('--selftest', action='store_true',
			help='parse a built-in log and check the counts')
	a = ap.parse_args()
	if a.selftest:
		return selftest()
	if not a.logs:
		ap.error('no LOG given')
	return run(a.logs, a.label, a.totals, sys.stdout)


if __name__ == '__main__':
	sys.exit(main())
