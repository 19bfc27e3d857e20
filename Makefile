# SPDX-License-Identifier: GPL-2.0
#
# vtd-remap: out-of-tree build of vtd_remap.ko and the project's checks.
#
#   make               the module for the installed Debian kernel headers
#                      (build/stock/vtd_remap.ko); KDIR=... builds elsewhere
#   make test-modules  the module and the KUnit modules for the test kernel
#                      (build/test/), building that kernel once if needed
#   make tools         userspace tools (tools/dmar-dump)
#   make check         every test layer; ends with "N passed, N failed"
#   make matrix        the scenarios across the guest configurations (long)
#   make bench         the benchmark against Linux's own IOMMU code: boots
#                      the bench kernel, writes build/bench/report.md
#                      (BENCH_QUICK=1: a short run for development)
#   make clean
#
# Each kernel gets its own build directory of symlinks to the sources, so
# objects for two kernels never mix and the source tree stays clean.

SRC := $(CURDIR)
SOURCES := Kbuild vtd_main.c iova.c iova_rcache.c iova.h vtd_dmar.c vtd_dmar.h \
	   vtd_pgtable.c vtd_pgtable.h vtd_pool.c vtd_pool.h \
	   vtd_unit.c vtd_unit.h vtd_domain.c vtd_dma.c vtd_dma.h \
	   vtd_debugfs.c vtd_debugfs.h vtd_edu.c vtd_irq.c vtd_irq.h \
	   vtd_flush.c vtd_flush.h vtd_group.c vtd_group.h \
	   vtd_shadow.c vtd_shadow.h \
	   vtd_hotplug.c vtd_hotplug.h \
	   kunit/Kbuild kunit/iova_kunit.c kunit/dmar_kunit.c kunit/pgtable_kunit.c \
	   kunit/unit_kunit.c kunit/flush_kunit.c kunit/shadow_kunit.c

# The newest installed kernel headers (Debian's linux-headers-amd64).
KDIR ?= $(shell ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n 1)

.PHONY: all modules test-modules bench-modules bench tools check matrix clean

all: modules

# $(1): build directory name, $(2): kernel build tree
define build_in
	@mkdir -p build/$(1)/kunit
	@for f in $(SOURCES); do ln -sfn $(SRC)/$$f build/$(1)/$$f; done
	$(MAKE) -C $(2) M=$(SRC)/build/$(1) modules
endef

modules:
	@if [ -z "$(KDIR)" ] || [ ! -f "$(KDIR)/Makefile" ]; then \
		echo "No kernel headers found. Install them with: sudo scripts/setup.sh" >&2; \
		echo "(or point KDIR= at a configured kernel tree)" >&2; exit 1; fi
	$(call build_in,stock,$(KDIR))

test-modules:
	@scripts/setup.sh >/dev/null
	$(eval TKDIR := $(shell scripts/test-kernel.sh | tail -n 1))
	@test -n "$(TKDIR)" || { echo "test kernel build failed" >&2; exit 1; }
	$(call build_in,test,$(TKDIR))

# The bench kernel (built once), the module and vtd_bench.ko against it.
BENCH_SOURCES := bench/Kbuild bench/iova_bench.c bench/dma_bench.c bench/bench_list.h bench/bench_rng.h iova.c iova_rcache.c iova.h
bench-modules:
	@scripts/setup.sh >/dev/null
	$(eval BKDIR := $(shell scripts/bench-kernel.sh | tail -n 1))
	@test -n "$(BKDIR)" || { echo "bench kernel build failed" >&2; exit 1; }
	$(call build_in,bench/modules,$(BKDIR))
	@mkdir -p build/bench/modules/bench
	@for f in $(BENCH_SOURCES); do ln -sfn $(SRC)/$$f build/bench/modules/bench/$$(basename $$f); done
	$(MAKE) -C $(BKDIR) M=$(SRC)/build/bench/modules/bench modules

bench:
	scripts/bench.sh

tools:
	$(MAKE) -C tools/dmar

check:
	scripts/check.sh

# Pairwise over aw-bits, caching mode, CPUs and memory, both kernels, with
# disk-integrity (256 MiB per disk) added to each boot; then the boots with
# topologies or devices of their own (scenario-matrix.sh leaves its aliases
# boots out when given --scenarios, so they are here), and the RCU-tasks fix.
matrix:
	scripts/scenario-matrix.sh --kernel both --scenarios edu-dma,edu-fault,isolation,load-unload,disk-integrity
	for k in stock test; do \
		scripts/qemu-boot.sh --no-build --kernel $$k --smp 2 --mem 1G \
			--topology pcie-pci-bridge --devices edu --scenario aliases \
			--log build/logs/matrix-aliases-$$k.log || exit 1; \
	done
	scripts/qemu-boot.sh --kernel test --smp 2 --mem 2G \
		--devices ahci,xhci,virtio-scsi,megasas,lsi,hda --scenario drivers \
		--timeout 2400 --log build/logs/matrix-drivers.log
	scripts/qemu-boot.sh --kernel test --smp 2 --mem 2G \
		--devices nvme,virtio-blk,ahci,virtio-scsi --scenario fail-inject \
		--append "slub_debug=A;-,radix_tree_node" \
		--timeout 1500 --log build/logs/matrix-fail-inject.log
	scripts/qemu-boot.sh --kernel test --smp 2 --mem 1G --s3 \
		--devices nvme,virtio-blk --disk-size 128M --scenario suspend \
		--scenario-args suspend.mib=32 --log build/logs/matrix-suspend.log
	scripts/rcu-tasks-ab.sh

clean:
	rm -rf build
