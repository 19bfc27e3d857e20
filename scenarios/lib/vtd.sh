# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Shared by every scenario that unloads vtd-remap (sourced by busybox sh
# in the guest): one place that knows how the module is taken out.

# vtd_unload: rmmod vtd_remap if it is loaded; its status (0 if it was
# not loaded). rmmod's own message goes to stderr.
vtd_unload() {
	grep -q '^vtd_remap ' /proc/modules || return 0
	rmmod vtd_remap
}
