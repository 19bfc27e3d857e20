// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-virt: NVMe virtualization management from the primary controller,
 * for the guest's sriov scenario: a virtual function of QEMU's nvme is a
 * secondary controller that cannot be enabled until the primary gives it
 * queue (VQ) and interrupt (VI) resources and sets it online (NVMe 1.4,
 * 8.5 Virtualization Enhancements; Virtualization Management admin
 * command, opcode 1Ch; Identify CNS 15h, the secondary controller list).
 * Busybox has no nvme-cli, so this issues the admin commands through the
 * nvme driver's passthrough ioctl on the PF's controller (/dev/nvmeN).
 *
 * usage: nvme-virt DEV list
 *          print the secondary controllers: scid, vfn, online, nvq, nvi
 *        nvme-virt DEV release
 *          the primary keeps no flexible resources (VQ and VI both 0),
 *          then the controller is reset so that it takes effect (the
 *          nvme driver brings it up again)
 *        nvme-virt DEV online VFN NVQ NVI
 *          give the secondary controller of VF number VFN (from 1) NVQ
 *          queue and NVI interrupt resources and set it online
 *
 * Exit status: 0 done; 1 a command failed (its NVMe status is printed);
 * 2 usage or setup error.
 */

#include <errno.h>
#include <fcntl.h>
#include <linux/nvme_ioctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define OPC_IDENTIFY		0x06
#define OPC_VIRT_MGMT		0x1c
#define CNS_CTRL		0x01
#define CNS_SEC_CTRL_LIST	0x15

#define ACT_PRIMARY_FLEX	0x1
#define ACT_SEC_OFFLINE		0x7
#define ACT_SEC_ASSIGN		0x8
#define ACT_SEC_ONLINE		0x9
#define RT_VQ			0
#define RT_VI			1

static int fd;
static const char *dev;

static int admin(uint8_t opc, uint32_t cdw10, uint32_t cdw11, void *buf,
		 uint32_t len, const char *what)
{
	struct nvme_admin_cmd c;
	int ret;

	memset(&c, 0, sizeof(c));
	c.opcode = opc;
	c.cdw10 = cdw10;
	c.cdw11 = cdw11;
	c.addr = (uintptr_t)buf;
	c.data_len = len;
	ret = ioctl(fd, NVME_IOCTL_ADMIN_CMD, &c);
	if (ret < 0) {
		fprintf(stderr, "nvme-virt: %s: %s: %s\n", dev, what,
			strerror(errno));
		return -1;
	}
	if (ret) {
		fprintf(stderr, "nvme-virt: %s: %s: NVMe status %#x\n", dev,
			what, ret);
		return -1;
	}
	return 0;
}

static uint16_t le16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

#define PAGE_BYTES		4096

/* A page-aligned page for an admin command's data, allocated once. */
static uint8_t *page_buf(void)
{
	static uint8_t *page;

	if (!page) {
		page = aligned_alloc(PAGE_BYTES, PAGE_BYTES);
		if (!page) {
			perror("nvme-virt: aligned_alloc");
			exit(1);
		}
	}
	return page;
}

/* The primary controller's CNTLID (Identify Controller, bytes 79:78). */
static int primary_cntlid(uint16_t *id)
{
	uint8_t *buf = page_buf();

	if (admin(OPC_IDENTIFY, CNS_CTRL, 0, buf, PAGE_BYTES,
		  "identify controller"))
		return -1;
	*id = le16(buf + 78);
	return 0;
}

/* The secondary controller list; returns the number of entries. */
static int sec_list(uint8_t *buf)
{
	if (admin(OPC_IDENTIFY, CNS_SEC_CTRL_LIST, 0, buf, PAGE_BYTES,
		  "identify secondary controller list"))
		return -1;
	return buf[0];
}

static int virt_mgmt(unsigned int act, unsigned int rt, uint16_t cntlid,
		     uint16_t nr, const char *what)
{
	return admin(OPC_VIRT_MGMT, act | rt << 8 | (uint32_t)cntlid << 16, nr,
		     NULL, 0, what);
}

static int cmd_list(void)
{
	uint8_t *buf = page_buf();
	int n, i;

	n = sec_list(buf);
	if (n < 0)
		return 1;
	for (i = 0; i < n; i++) {
		const uint8_t *e = buf + 32 + 32 * i;

		printf("nvme-virt: scid %u pcid %u vfn %u %s nvq %u nvi %u\n",
		       le16(e), le16(e + 2), le16(e + 8),
		       e[4] & 1 ? "online" : "offline", le16(e + 10),
		       le16(e + 12));
	}
	return 0;
}

static int cmd_release(void)
{
	uint16_t id;

	if (primary_cntlid(&id) ||
	    virt_mgmt(ACT_PRIMARY_FLEX, RT_VQ, id, 0, "primary VQ 0") ||
	    virt_mgmt(ACT_PRIMARY_FLEX, RT_VI, id, 0, "primary VI 0"))
		return 1;
	if (ioctl(fd, NVME_IOCTL_RESET) < 0) {
		fprintf(stderr, "nvme-virt: %s: reset: %s\n", dev,
			strerror(errno));
		return 1;
	}
	printf("nvme-virt: primary %u keeps no flexible resources; controller reset\n",
	       id);
	return 0;
}

static int cmd_online(unsigned int vfn, unsigned int nvq, unsigned int nvi)
{
	uint8_t *buf = page_buf();
	int n, i;

	n = sec_list(buf);
	if (n < 0)
		return 1;
	for (i = 0; i < n; i++) {
		const uint8_t *e = buf + 32 + 32 * i;
		uint16_t scid = le16(e);

		if (le16(e + 8) != vfn)
			continue;
		if ((e[4] & 1) &&
		    virt_mgmt(ACT_SEC_OFFLINE, 0, scid, 0, "offline"))
			return 1;
		if (virt_mgmt(ACT_SEC_ASSIGN, RT_VQ, scid, nvq, "assign VQ") ||
		    virt_mgmt(ACT_SEC_ASSIGN, RT_VI, scid, nvi, "assign VI") ||
		    virt_mgmt(ACT_SEC_ONLINE, 0, scid, 0, "online"))
			return 1;
		printf("nvme-virt: VF %u (secondary controller %u): %u VQ, %u VI, online\n",
		       vfn, scid, nvq, nvi);
		return 0;
	}
	fprintf(stderr, "nvme-virt: %s: no secondary controller for VF %u\n",
		dev, vfn);
	return 1;
}

static void print_usage(void)
{
	fprintf(stderr, "usage: nvme-virt DEV list|release|online VFN NVQ NVI\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		print_usage();
	dev = argv[1];
	fd = open(dev, O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "nvme-virt: %s: %s\n", dev, strerror(errno));
		return 2;
	}
	if (!strcmp(argv[2], "list") && argc == 3)
		return cmd_list();
	if (!strcmp(argv[2], "release") && argc == 3)
		return cmd_release();
	if (!strcmp(argv[2], "online") && argc == 6)
		return cmd_online(strtoul(argv[3], NULL, 0),
				  strtoul(argv[4], NULL, 0),
				  strtoul(argv[5], NULL, 0));
	print_usage();
	return 2;
}
