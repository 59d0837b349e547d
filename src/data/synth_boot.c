/* Boot messages from uptime 0: kernel banner, e820 map, ACPI, SMP bring-up, PCI enumeration,
 * storage and NIC probing, root mount, GPU driver load, swap, NFS and container networking. */
#include <stdio.h>
#include <string.h>
#include "data/synth_internal.h"

static void at_us(sy_ctx *c, uint64_t us) {
  if (c->t < us) c->t = us;
}

static void e820(sy_ctx *c) {
  uint64_t top = (c->h.mem_kb / 1024 + 2048) << 20;
  sy_out(c, SY_ROLE_N, "BIOS-provided physical RAM map:");
  sy_out(c, SY_ROLE_N, "BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable");
  sy_out(c, SY_ROLE_N, "BIOS-e820: [mem 0x00000000000a0000-0x00000000000fffff] reserved");
  uint64_t a = 0x100000, b = 0x5f000000ull + ((uint64_t)sy_range(&c->r, 0, 0x1000) << 12);
  int n = (int)sy_range(&c->r, 3, 9);
  for (int i = 0; i < n; i++) {
    sy_out(c, SY_ROLE_N, "BIOS-e820: [mem 0x%016llx-0x%016llx] %s", (unsigned long long)a, (unsigned long long)(b - 1),
           i % 2 ? SY_PICK(&c->r, ((const char *const[]){"reserved", "ACPI data", "ACPI NVS", "reserved"})) : "usable");
    a = b;
    b = a + ((uint64_t)sy_range(&c->r, 1, 0x4000) << 12);
  }
  sy_out(c, SY_ROLE_N, "BIOS-e820: [mem 0x00000000fe000000-0x00000000fe010fff] reserved");
  sy_out(c, SY_ROLE_N, "BIOS-e820: [mem 0x0000000100000000-0x%016llx] usable", (unsigned long long)(top - 1));
}

static void smp_bringup(sy_ctx *c) {
  int ncpu = c->h.ncpu, nodes = c->h.nodes;
  int width = ncpu >= 1000 ? 5 : ncpu >= 100 ? 4 : ncpu >= 10 ? 3 : 2;
  sy_out(c, SY_ROLE_N, "smp: Bringing up secondary CPUs ...");
  sy_out(c, SY_ROLE_N, "x86: Booting SMP configuration:");
  int per = ncpu / nodes;
  for (int nd = 0; nd < nodes; nd++) {
    /* the first pass brings up one thread per core, as printed in chunks per node */
    char line[2048];
    int len = snprintf(line, sizeof line, ".... node  #%d, CPUs:  ", nd);
    int lo = nd * per / 2, hi = (nd + 1) * per / 2;
    for (int cpu = lo; cpu < hi && len < (int)sizeof line - 16; cpu++) {
      if (cpu == 0) {
        len += snprintf(line + len, sizeof line - len, "%*s", width + 1, "");
        continue;
      }
      int digits = cpu >= 1000 ? 4 : cpu >= 100 ? 3 : cpu >= 10 ? 2 : 1;
      len += snprintf(line + len, sizeof line - len, "%*s#%d", width - digits, "", cpu);
    }
    sy_out(c, SY_ROLE_N, "%s", line);
    sy_wait(c, (uint64_t)sy_range(&c->r, 20000, 90000));
  }
  sy_out(c, SY_ROLE_N, "smp: Brought up %d node%s, %d CPUs", nodes, nodes > 1 ? "s" : "", ncpu);
  sy_out(c, SY_ROLE_N, "smpboot: Max logical packages: %d", nodes);
  int bogo = ncpu * 5800 - (int)sy_below(&c->r, 300), frac = (int)sy_below(&c->r, 100);
  sy_out(c, SY_ROLE_N, "smpboot: Total of %d processors activated (%d.%02d BogoMIPS)", ncpu, bogo, frac);
}

static void pci_dev(sy_ctx *c, const char *addr, const char *id, unsigned cls, bool bridge) {
  sy_out(c, SY_ROLE_N, "pci %s: [%s] type 0%d class 0x%06x", addr, id, bridge ? 1 : 0, cls);
  if (!bridge) {
    int bars = (int)sy_range(&c->r, 1, 3);
    for (int i = 0; i < bars; i++) {
      unsigned long long size = 1ull << sy_range(&c->r, 12, 26);
      unsigned long long base = (0x90000000ull + ((unsigned long long)sy_range(&c->r, 0, 0x3ff) << 20)) & ~(size - 1);
      if (i) base = 0x20000000000ull + ((unsigned long long)sy_range(&c->r, 0, 0xfff) << 26);
      sy_out(c, SY_ROLE_N, "pci %s: reg 0x%x: [mem 0x%llx-0x%llx%s]", addr, 0x10 + 8 * i, base, base + size - 1, i ? " 64bit pref" : "");
    }
  }
  if (sy_chance(&c->r, 0.5)) sy_out(c, SY_ROLE_N, "pci %s: PME# supported from D0 D3hot D3cold", addr);
}

static void pci(sy_ctx *c) {
  char a[32];
  sy_out(c, SY_ROLE_N, "ACPI: PCI Root Bridge [PC00] (domain 0000 [bus 00-%02x])", (unsigned)sy_range(&c->r, 0x15, 0x7f));
  sy_out(c, SY_ROLE_N, "pci_bus 0000:00: root bus resource [io  0x0000-0x0cf7 window]");
  sy_out(c, SY_ROLE_N, "pci_bus 0000:00: root bus resource [mem 0x000a0000-0x000bffff window]");
  int n = (int)sy_range(&c->r, 6, 24);
  for (int i = 0; i < n; i++) {
    int dv = (int)sy_range(&c->r, 0, 0x1f), fn = (int)sy_range(&c->r, 0, 3);
    snprintf(a, sizeof a, "0000:00:%02x.%d", dv, fn);
    static const char *const intel[] = {"8086:09a2", "8086:09a4", "8086:a1c2", "8086:a182", "8086:a1ba", "8086:347a"};
    static const char *const amd[] = {"1022:1480", "1022:1482", "1022:1484", "1022:148a", "1022:1498", "1022:1483"};
    const char *const *ids = c->h.amd ? amd : intel;
    int k = (int)sy_below(&c->r, 6);
    pci_dev(c, a, ids[k], k == 5 ? 0x060400 : SY_PICK(&c->r, ((const unsigned[]){0x080000, 0x088000, 0x0c0330, 0x010601, 0x0c8000})), k == 5);
  }
  for (int g = 0; g < c->h.ngpu; g++) {
    snprintf(a, sizeof a, "0000:%s.0", c->h.gpu_bus[g]);
    const char *id = strstr(c->h.gpu_model, "H100") ? "10de:2330" : strstr(c->h.gpu_model, "A100") ? "10de:20b2"
                   : strstr(c->h.gpu_model, "V100") ? "10de:1db5" : strstr(c->h.gpu_model, "A40") ? "10de:2235" : "10de:26b9";
    pci_dev(c, a, id, 0x030200, false);
  }
  const char *nid = c->h.nic == SY_NIC_MLX5 ? "15b3:101b" : c->h.nic == SY_NIC_IXGBE ? "8086:10fb" : c->h.nic == SY_NIC_I40E ? "8086:158b"
                  : c->h.nic == SY_NIC_BNXT ? "14e4:16d7" : "8086:1521";
  pci_dev(c, c->h.nic_pci, nid, 0x020000, false);
  if (c->h.nvme) pci_dev(c, "0000:c1:00.0", SY_PICK(&c->r, ((const char *const[]){"144d:a80a", "8086:0b60", "1344:51c3", "144d:a824"})), 0x010802, false);
  sy_out(c, SY_ROLE_N, "iommu: Default domain type: Translated ");
  sy_out(c, SY_ROLE_N, "SCSI subsystem initialized");
  sy_out(c, SY_ROLE_N, "usbcore: registered new interface driver usbfs");
  sy_out(c, SY_ROLE_N, "usbcore: registered new interface driver hub");
  sy_out(c, SY_ROLE_N, "usbcore: registered new device driver usb");
}

static void nic_probe(sy_ctx *c) {
  const char *p = c->h.nic_pci;
  char m[24];
  unsigned b3 = sy_below(&c->r, 256), b4 = sy_below(&c->r, 256), b5 = sy_below(&c->r, 256);
  sprintf(m, "%02x:%02x:%02x:%02x:%02x:%02x", 0x0c, 0x42, 0xa1, b3, b4, b5);
  switch (c->h.nic) {
    case SY_NIC_MLX5:
    {
      int v1 = SY_PICK(&c->r, ((const int[]){16, 20, 22, 28})), v2 = (int)sy_range(&c->r, 30, 40), v3 = (int)sy_range(&c->r, 1000, 2000);
      sy_out(c, SY_ROLE_N, "mlx5_core %s: firmware version: %d.%d.%d", p, v1, v2, v3);
    }
      sy_out(c, SY_ROLE_N, "mlx5_core %s: 126.024 Gb/s available PCIe bandwidth (8.0 GT/s PCIe x16 link)", p);
      sy_out(c, SY_ROLE_N, "mlx5_core %s: Rate limit: 127 rates are supported, range: 0Mbps to 97656Mbps", p);
      sy_out(c, SY_ROLE_N, "mlx5_core %s: E-Switch: Total vports 2, per vport: max uc(128) max mc(2048)", p);
      sy_out(c, SY_ROLE_N, "mlx5_core %s: Port module event: module 0, Cable plugged", p);
      sy_out(c, SY_ROLE_N, "mlx5_core %s: MLX5E: StrdRq(1) RqSz(8) StrdSz(2048) RxCqeCmprss(0)", p);
      sy_out(c, SY_ROLE_N, "mlx5_core %s %s: renamed from eth0", p, c->h.ifname);
      break;
    case SY_NIC_IXGBE:
      sy_out(c, SY_ROLE_N, "ixgbe: Intel(R) 10 Gigabit PCI Express Network Driver");
      sy_out(c, SY_ROLE_N, "ixgbe: Copyright (c) 1999-2016 Intel Corporation.");
      sy_out(c, SY_ROLE_N, "ixgbe %s: Multiqueue Enabled: Rx Queue count = %d, Tx Queue count = %d XDP Queue count = 0", p,
             c->h.ncpu < 63 ? c->h.ncpu : 63, c->h.ncpu < 63 ? c->h.ncpu : 63);
      sy_out(c, SY_ROLE_N, "ixgbe %s: 32.000 Gb/s available PCIe bandwidth (5.0 GT/s PCIe x8 link)", p);
      sy_out(c, SY_ROLE_N, "ixgbe %s: MAC: 2, PHY: 14, SFP+: 3, PN: G73129-008", p);
      sy_out(c, SY_ROLE_N, "ixgbe %s: %s", p, m);
      sy_out(c, SY_ROLE_N, "ixgbe %s: Intel(R) 10 Gigabit Network Connection", p);
      sy_out(c, SY_ROLE_N, "ixgbe %s %s: renamed from eth0", p, c->h.ifname);
      break;
    case SY_NIC_I40E:
      sy_out(c, SY_ROLE_N, "i40e: Intel(R) Ethernet Connection XL710 Network Driver");
    {
      int a1 = (int)sy_range(&c->r, 1, 9), a2 = (int)sy_range(&c->r, 10, 99), a3 = (int)sy_range(&c->r, 10, 15);
      int a4 = (int)sy_range(&c->r, 10, 70), a6 = 0;
      unsigned a5 = sy_below(&c->r, 0xffff);
      a6 = (int)sy_range(&c->r, 2800, 3300);
      sy_out(c, SY_ROLE_N, "i40e %s: fw 8.%d.%d api 1.%d nvm 8.%d 0x8000%04x 1.%d.0 [8086:158b] [8086:0001]", p, a1, a2, a3, a4, a5, a6);
    }
      sy_out(c, SY_ROLE_N, "i40e %s: MAC address: %s", p, m);
      sy_out(c, SY_ROLE_N, "i40e %s: PCI-Express: Speed 8.0GT/s Width x8", p);
      sy_out(c, SY_ROLE_N, "i40e %s %s: renamed from eth0", p, c->h.ifname);
      break;
    case SY_NIC_BNXT:
      sy_out(c, SY_ROLE_N, "bnxt_en %s eth0: Broadcom BCM57414 NetXtreme-E 10Gb/25Gb RDMA Ethernet Controller found at mem %llx, node addr %s", p,
             0xa0000000ull + ((unsigned long long)sy_below(&c->r, 0xfff) << 20), m);
      sy_out(c, SY_ROLE_N, "bnxt_en %s: 63.008 Gb/s available PCIe bandwidth (8.0 GT/s PCIe x8 link)", p);
      sy_out(c, SY_ROLE_N, "bnxt_en %s %s: renamed from eth0", p, c->h.ifname);
      break;
    default:
      sy_out(c, SY_ROLE_N, "igb: Intel(R) Gigabit Ethernet Network Driver");
      sy_out(c, SY_ROLE_N, "igb %s: added PHC on eth0", p);
      sy_out(c, SY_ROLE_N, "igb %s: Intel(R) Gigabit Ethernet Network Connection", p);
      sy_out(c, SY_ROLE_N, "igb %s: eth0: (PCIe:5.0Gb/s:Width x4) %s", p, m);
      sy_out(c, SY_ROLE_N, "igb %s %s: renamed from eth0", p, c->h.ifname);
      break;
  }
}

static void storage_probe(sy_ctx *c) {
  if (c->h.nvme) {
    sy_out(c, SY_ROLE_N, "nvme nvme0: pci function 0000:c1:00.0");
    sy_wait(c, (uint64_t)sy_range(&c->r, 5000, 200000));
    if (c->h.k->major >= 5) sy_out(c, SY_ROLE_N, "nvme nvme0: %d/0/0 default/read/poll queues", c->h.ncpu < 128 ? c->h.ncpu : 128);
    sy_out(c, SY_ROLE_N, " nvme0n1: p1 p2%s", c->h.root_xfs ? " p3" : "");
    if (c->h.has_data && !strncmp(c->h.datadev, "nvme", 4)) {
      sy_out(c, SY_ROLE_N, "nvme %.5s: pci function 0000:c2:00.0", c->h.datadev);
      sy_out(c, SY_ROLE_N, "nvme %.5s: %d/0/0 default/read/poll queues", c->h.datadev, c->h.ncpu < 128 ? c->h.ncpu : 128);
    }
  } else {
    int port = (int)sy_range(&c->r, 1, 8);
    sy_out(c, SY_ROLE_N, "ahci 0000:00:17.0: AHCI 0001.0301 32 slots 8 ports 6 Gbps 0xff impl SATA mode");
    sy_out(c, SY_ROLE_N, "ahci 0000:00:17.0: flags: 64bit ncq sntf pm led clo only pio slum part ems deso sadm sds apst ");
    sy_wait(c, (uint64_t)sy_range(&c->r, 200000, 600000));
    sy_out(c, SY_ROLE_N, "ata%d: SATA link up 6.0 Gbps (SStatus 133 SControl 300)", port);
    sy_out(c, SY_ROLE_N, "ata%d.00: ATA-10: %s, max UDMA/133", port, SY_PICK(&c->r, ((const char *const[]){"ST4000NM0035-1V4107, TN03", "MZ7LH960HAJR-00005, HXT7404Q", "INTEL SSDSC2KB480G8, XCV10132", "TOSHIBA MG07ACA14TE, 0104"})));
    sy_out(c, SY_ROLE_N, "ata%d.00: configured for UDMA/133", port);
    sy_out(c, SY_ROLE_N, "scsi %d:0:0:0: Direct-Access     ATA      %-16.16s %.4s PQ: 0 ANSI: 5", c->h.scsi_host, "ST4000NM0035-1V4", "TN03");
    sy_out(c, SY_ROLE_N, "sd %d:0:0:0: [sda] 7814037168 512-byte logical blocks: (4.00 TB/3.64 TiB)", c->h.scsi_host);
    sy_out(c, SY_ROLE_N, "sd %d:0:0:0: [sda] 4096-byte physical blocks", c->h.scsi_host);
    sy_out(c, SY_ROLE_N, "sd %d:0:0:0: [sda] Write Protect is off", c->h.scsi_host);
    sy_out(c, SY_ROLE_N, "sd %d:0:0:0: [sda] Write cache: enabled, read cache: enabled, doesn't support DPO or FUA", c->h.scsi_host);
    sy_out(c, SY_ROLE_N, " sda: sda1 sda2");
    sy_out(c, SY_ROLE_N, "sd %d:0:0:0: [sda] Attached SCSI disk", c->h.scsi_host);
  }
}

static void gpu_driver(sy_ctx *c) {
  sy_out(c, SY_ROLE_N, "nvidia: loading out-of-tree module taints kernel.");
  sy_out(c, SY_ROLE_N, "nvidia: module license 'NVIDIA' taints kernel.");
  sy_out(c, SY_ROLE_N, "Disabling lock debugging due to kernel taint");
  if (!c->h.k->ubuntu) sy_out(c, SY_ROLE_N, "nvidia: module verification failed: signature and/or required key missing - tainting kernel");
  sy_out(c, SY_ROLE_N, "nvidia-nvlink: Nvlink Core is being initialized, major device number %d", (int)sy_range(&c->r, 234, 511));
  for (int g = 0; g < c->h.ngpu; g++) sy_out(c, SY_ROLE_N, "nvidia 0000:%s.0: enabling device (0000 -> 0002)", c->h.gpu_bus[g]);
  sy_wait(c, (uint64_t)sy_range(&c->r, 100000, 900000));
  sy_out(c, SY_ROLE_N, "NVRM: loading NVIDIA UNIX x86_64 Kernel Module  %s  Thu Oct 19 18:56:32 UTC 2023", c->h.nv_ver);
  sy_out(c, SY_ROLE_N, "nvidia-modeset: Loading NVIDIA Kernel Mode Setting Driver for UNIX platforms  %s  Thu Oct 19 18:42:12 UTC 2023", c->h.nv_ver);
  for (int g = 0; g < c->h.ngpu; g++) {
    unsigned id = 0;
    sscanf(c->h.gpu_bus[g], "%x", &id);
    sy_out(c, SY_ROLE_N, "[drm] [nvidia-drm] [GPU ID 0x0000%02x00] Loading driver", id);
    sy_out(c, SY_ROLE_N, "[drm] Initialized nvidia-drm 0.0.0 20160202 for 0000:%s.0 on minor %d", c->h.gpu_bus[g], g + 1);
  }
  sy_out(c, SY_ROLE_N, "nvidia_uvm: module uses symbols nvUvmInterfaceDisableAccessCntr from proprietary module nvidia, inheriting taint.");
  sy_out(c, SY_ROLE_N, "nvidia-uvm: Loaded the UVM driver, major device number %d.", (int)sy_range(&c->r, 500, 511));
}

uint64_t sy_boot(sy_ctx *c) {
  const sy_host *h = &c->h;
  char u[40];
  unsigned u0 = sy_u32(&c->r), u1 = sy_below(&c->r, 65536), u2 = sy_below(&c->r, 65536), u3 = sy_below(&c->r, 65536);
  unsigned u4 = sy_below(&c->r, 65536), u5 = sy_u32(&c->r);
  snprintf(u, sizeof u, "%08x-%04x-%04x-%04x-%04x%08x", u0, u1, u2, u3, u4, u5);
  sy_at(c, 0);
  if (h->k->ubuntu)
    sy_out(c, SY_ROLE_N,
           "Linux version %s (buildd@lcy02-amd64-%03d) (gcc (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0, GNU ld (GNU Binutils for "
           "Ubuntu) 2.38) %s SMP %sTue Nov 14 13:30:08 UTC 2023",
           h->k->release, (int)sy_range(&c->r, 1, 120), h->k->version, h->k->major >= 6 ? "PREEMPT_DYNAMIC " : "");
  else
    sy_out(c, SY_ROLE_N, "Linux version %s (mockbuild@x86-vm-%02d.build.eng.bos.redhat.com) (gcc version %s (Red Hat %s) (GCC)) #1 SMP %sThu Nov 16 10:29:04 EST 2023",
           h->k->release, (int)sy_range(&c->r, 1, 12), h->k->major == 4 ? "8.5.0 20210514" : "11.4.1 20230605",
           h->k->major == 4 ? "8.5.0-20" : "11.4.1-2", h->k->major == 5 ? "PREEMPT_DYNAMIC " : "");
  sy_out(c, SY_ROLE_N, "Command line: BOOT_IMAGE=/boot/vmlinuz-%s root=%s%s ro %s", h->k->release, h->root_xfs ? "/dev/mapper/rhel-root" : "UUID=",
         h->root_xfs ? "" : u, h->ngpu ? "crashkernel=512M-:768M iommu=pt pci=realloc=off" : "quiet splash crashkernel=512M-:192M");
  sy_out(c, SY_ROLE_N, "KERNEL supported cpus:");
  sy_out(c, SY_ROLE_N, "  Intel GenuineIntel");
  sy_out(c, SY_ROLE_N, "  AMD AuthenticAMD");
  sy_out(c, SY_ROLE_N, "  Hygon HygonGenuine");
  sy_out(c, SY_ROLE_N, "  Centaur CentaurHauls");
  sy_out(c, SY_ROLE_N, "  zhaoxin   Shanghai  ");
  sy_out(c, SY_ROLE_N, "x86/fpu: Supporting XSAVE feature 0x001: 'x87 floating point registers'");
  sy_out(c, SY_ROLE_N, "x86/fpu: Supporting XSAVE feature 0x002: 'SSE registers'");
  sy_out(c, SY_ROLE_N, "x86/fpu: Supporting XSAVE feature 0x004: 'AVX registers'");
  sy_out(c, SY_ROLE_N, "x86/fpu: Enabled xstate features 0x%s, context size is %d bytes, using 'compacted' format.",
         h->amd ? "207" : "2e7", h->amd ? 840 : 2440);
  e820(c);
  sy_out(c, SY_ROLE_N, "NX (Execute Disable) protection: active");
  sy_out(c, SY_ROLE_N, "SMBIOS 3.%d.0 present.", (int)sy_range(&c->r, 0, 3));
  sy_out(c, SY_ROLE_N, "DMI: %s", h->hw);
  int mhz = (int)sy_range(&c->r, 2000, 3700), khz = (int)sy_below(&c->r, 1000);
  sy_out(c, SY_ROLE_N, "tsc: Detected %d.%03d MHz processor", mhz, khz);
  sy_out(c, SY_ROLE_N, "e820: update [mem 0x00000000-0x00000fff] usable ==> reserved");
  sy_out(c, SY_ROLE_N, "e820: remove [mem 0x000a0000-0x000fffff] usable");
  sy_out(c, SY_ROLE_N, "x86/PAT: Configuration [0-7]: WB  WC  UC- UC  WB  WP  UC- WT  ");
  sy_out(c, SY_ROLE_N, "Using GB pages for direct mapping");
  sy_out(c, SY_ROLE_N, "ACPI: Early table checksum verification disabled");
  const char *oem = strstr(h->hw, "Dell") ? "DELL  " : strstr(h->hw, "HPE") ? "HPE   " : strstr(h->hw, "Lenovo") ? "LENOVO" : "SUPERM";
  sy_out(c, SY_ROLE_N, "ACPI: RSDP 0x00000000000F0510 000024 (v02 %s)", oem);
  static const char *const tables[] = {"XSDT", "FACP", "DSDT", "FACS", "APIC", "MCFG", "SRAT", "SLIT", "HPET", "SSDT", "BERT", "HEST", "ERST", "EINJ", "DMAR"};
  int nt = (int)sy_range(&c->r, 6, SY_N_OF(tables));
  for (int i = 0; i < nt; i++) {
    unsigned long long at = 0x6f000000ull + (sy_below(&c->r, 0xffffff) & ~7u);
    unsigned len = (unsigned)sy_range(&c->r, 0x24, 0x40000);
    int rev = (int)sy_range(&c->r, 1, 6);
    sy_out(c, SY_ROLE_N, "ACPI: %s 0x%016llX %06X (v%02d %s %-8s %08X INTL %08X)", tables[i], at, len, rev, oem, "PE_SC3", 1u, 0x20091013u);
  }
  sy_out(c, SY_ROLE_N, "Zone ranges:");
  sy_out(c, SY_ROLE_N, "  DMA      [mem 0x0000000000001000-0x0000000000ffffff]");
  sy_out(c, SY_ROLE_N, "  DMA32    [mem 0x0000000001000000-0x00000000ffffffff]");
  sy_out(c, SY_ROLE_N, "  Normal   [mem 0x0000000100000000-0x%016llx]", (unsigned long long)(((h->mem_kb / 1024 + 2048) << 20) - 1));
  sy_out(c, SY_ROLE_N, "  Device   empty");
  sy_out(c, SY_ROLE_N, "smpboot: Allowing %d CPUs, 0 hotplug CPUs", h->ncpu);
  sy_out(c, SY_ROLE_N, "setup_percpu: NR_CPUS:8192 nr_cpumask_bits:%d nr_cpu_ids:%d nr_node_ids:%d", h->ncpu, h->ncpu, h->nodes);
  sy_out(c, SY_ROLE_N, "Kernel command line: BOOT_IMAGE=/boot/vmlinuz-%s ro", h->k->release);
  int kc = (int)sy_range(&c->r, 14000, 20000), rw = (int)sy_range(&c->r, 4000, 5000), ro = (int)sy_range(&c->r, 5000, 12000);
  int in = (int)sy_range(&c->r, 3000, 5000), bss = (int)sy_range(&c->r, 4000, 16000);
  sy_out(c, SY_ROLE_N, "Memory: %lluK/%lluK available (%dK kernel code, %dK rwdata, %dK rodata, %dK init, %dK bss, %lluK reserved, 0K cma-reserved)",
         (unsigned long long)(h->mem_kb - h->mem_kb / 60), (unsigned long long)h->mem_kb, kc, rw, ro, in, bss, (unsigned long long)(h->mem_kb / 60));
  sy_out(c, SY_ROLE_N, "rcu: Hierarchical RCU implementation.");
  sy_out(c, SY_ROLE_N, "rcu: \tRCU restricting CPUs from NR_CPUS=8192 to nr_cpu_ids=%d.", h->ncpu);
  sy_out(c, SY_ROLE_N, "NR_IRQS: 524544, nr_irqs: %d, preallocated irqs: 16", h->ncpu * 8 + 600);
  sy_out(c, SY_ROLE_N, "Console: colour dummy device 80x25");
  sy_out(c, SY_ROLE_N, "printk: console [tty0] enabled");
  sy_out(c, SY_ROLE_N, "printk: console [ttyS0] enabled");
  at_us(c, (uint64_t)sy_range(&c->r, 2000, 20000));
  int bm = (int)sy_range(&c->r, 4000, 7400), bf = (int)sy_below(&c->r, 100), lpj = (int)sy_range(&c->r, 8000000, 14800000);
  sy_out(c, SY_ROLE_N, "Calibrating delay loop (skipped), value calculated using timer frequency.. %d.%02d BogoMIPS (lpj=%d)", bm, bf, lpj);
  sy_out(c, SY_ROLE_N, "pid_max: default: %d minimum: %d", h->ncpu * 1024 > 32768 ? h->ncpu * 1024 : 32768, h->ncpu * 8 > 301 ? h->ncpu * 8 : 301);
  sy_out(c, SY_ROLE_N, "LSM: Security Framework initializing");
  sy_out(c, SY_ROLE_N, "smpboot: CPU0: %s", h->amd ? "AMD EPYC 7742 64-Core Processor (family: 0x17, model: 0x31, stepping: 0x0)"
                                                  : "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz (family: 0x6, model: 0x6a, stepping: 0x6)");
  sy_out(c, SY_ROLE_N, "rcu: Hierarchical SRCU implementation.");
  smp_bringup(c);
  sy_out(c, SY_ROLE_N, "devtmpfs: initialized");
  sy_out(c, SY_ROLE_N, "x86/mm: Memory block size: 2048MB");
  sy_out(c, SY_ROLE_N, h->k->major >= 5 ? "NET: Registered PF_NETLINK/PF_ROUTE protocol family" : "NET: Registered protocol family 16");
  sy_out(c, SY_ROLE_N, "ACPI: bus type PCI registered");
  sy_wait(c, (uint64_t)sy_range(&c->r, 50000, 300000));
  pci(c);
  sy_out(c, SY_ROLE_N, "EDAC MC: Ver: 3.0.0");
  sy_out(c, SY_ROLE_N, "NetLabel: Initializing");
  sy_out(c, SY_ROLE_N, "clocksource: Switched to clocksource tsc-early");
  sy_out(c, SY_ROLE_N, "VFS: Disk quotas dquot_6.6.0");
  sy_out(c, SY_ROLE_N, h->k->major >= 5 ? "NET: Registered PF_INET protocol family" : "NET: Registered protocol family 2");
  sy_out(c, SY_ROLE_N, "Trying to unpack rootfs image as initramfs...");
  sy_out(c, SY_ROLE_N, "Block layer SCSI generic (bsg) driver version 0.4 loaded (major 243)");
  sy_out(c, SY_ROLE_N, "io scheduler mq-deadline registered");
  sy_out(c, SY_ROLE_N, "Serial: 8250/16550 driver, 32 ports, IRQ sharing enabled");
  sy_wait(c, (uint64_t)sy_range(&c->r, 100000, 600000));
  sy_out(c, SY_ROLE_N, "Freeing initrd memory: %dK", (int)sy_range(&c->r, 30000, 120000));
  sy_out(c, SY_ROLE_N, h->k->major >= 5 ? "NET: Registered PF_INET6 protocol family" : "NET: Registered protocol family 10");
  sy_out(c, SY_ROLE_N, "Loading compiled-in X.509 certificates");
  sy_out(c, SY_ROLE_N, "Freeing unused kernel image (initmem) memory: %dK", (int)sy_range(&c->r, 2500, 4800));
  sy_out(c, SY_ROLE_N, "Write protecting the kernel read-only data: %dk", (int)sy_range(&c->r, 20, 40) * 1024);
  sy_out(c, SY_ROLE_N, "Run /init as init process");
  at_us(c, (uint64_t)sy_range(&c->r, 1500000, 4000000));
  nic_probe(c);
  storage_probe(c);
  at_us(c, c->t + (uint64_t)sy_range(&c->r, 1000000, 8000000));
  if (c->rootfail) return c->t;
  if (h->root_xfs) {
    sy_out(c, SY_ROLE_N, "SGI XFS with ACLs, security attributes, scrub, quota, no debug enabled");
    sy_out(c, SY_ROLE_N, "XFS (%s): Mounting V5 Filesystem", h->rootpart);
    sy_wait(c, (uint64_t)sy_range(&c->r, 30000, 500000));
    sy_out(c, SY_ROLE_N, "XFS (%s): Ending clean mount", h->rootpart);
  } else {
    sy_out(c, SY_ROLE_N, h->k->major >= 6 ? "EXT4-fs (%s): mounted filesystem with ordered data mode. Quota mode: none." :
           "EXT4-fs (%s): mounted filesystem with ordered data mode. Opts: (null). Quota mode: none.", h->rootpart);
  }
  sy_wait(c, (uint64_t)sy_range(&c->r, 500000, 3000000));
  if (!h->root_xfs) sy_out(c, SY_ROLE_N, "EXT4-fs (%s): re-mounted. Opts: errors=remount-ro. Quota mode: none.", h->rootpart);
  sy_out(c, SY_ROLE_N, "lp: driver loaded but no devices found");
  sy_out(c, SY_ROLE_N, "ipmi_si IPI0001:00: IPMI kcs interface initialized");
  if (h->ngpu) gpu_driver(c);
  if (sy_chance(&c->r, 0.6)) {
    int ext = (int)sy_range(&c->r, 2, 12), across = (int)sy_range(&c->r, 8400000, 9900000);
    sy_out(c, SY_ROLE_N, "Adding %dk swap on /swap.img.  Priority:-2 extents:%d across:%dk SSFS", 8388604, ext, across);
  }
  if (h->has_data) {
    if (h->data_xfs) {
      sy_out(c, SY_ROLE_N, "XFS (%s): Mounting V5 Filesystem", h->datapart);
      sy_wait(c, (uint64_t)sy_range(&c->r, 20000, 900000));
      sy_out(c, SY_ROLE_N, "XFS (%s): Ending clean mount", h->datapart);
    } else {
      sy_out(c, SY_ROLE_N, h->k->major >= 6 ? "EXT4-fs (%s): mounted filesystem with ordered data mode. Quota mode: none." :
             "EXT4-fs (%s): mounted filesystem with ordered data mode. Opts: (null). Quota mode: none.", h->datapart);
    }
  }
  sy_wait(c, (uint64_t)sy_range(&c->r, 1000000, 5000000));
  if (h->nic == SY_NIC_MLX5) sy_out(c, SY_ROLE_N, "mlx5_core %s %s: Link up", h->nic_pci, h->ifname);
  else sy_out(c, SY_ROLE_N, "%s %s %s: NIC Link is Up %d Mbps Full Duplex, Flow Control: RX/TX", h->nic_drv, h->nic_pci, h->ifname, h->nic_mbps);
  sy_out(c, SY_ROLE_N, "IPv6: ADDRCONF(NETDEV_CHANGE): %s: link becomes ready", h->bond ? "bond0" : h->ifname);
  if (h->nfs) {
    sy_wait(c, (uint64_t)sy_range(&c->r, 500000, 4000000));
    sy_out(c, SY_ROLE_N, "RPC: Registered named UNIX socket transport module.");
    sy_out(c, SY_ROLE_N, "RPC: Registered udp transport module.");
    sy_out(c, SY_ROLE_N, "RPC: Registered tcp transport module.");
    sy_out(c, SY_ROLE_N, "RPC: Registered tcp NFSv4.1 backchannel transport module.");
    sy_out(c, SY_ROLE_N, "FS-Cache: Loaded");
    sy_out(c, SY_ROLE_N, "Key type dns_resolver registered");
    sy_out(c, SY_ROLE_N, "NFS: Registering the id_resolver key type");
    sy_out(c, SY_ROLE_N, "Key type id_resolver registered");
    sy_out(c, SY_ROLE_N, "Key type id_legacy registered");
  }
  if (h->containers) {
    sy_wait(c, (uint64_t)sy_range(&c->r, 1000000, 6000000));
    sy_out(c, SY_ROLE_N, "bridge: filtering via arp/ip/ip6tables is no longer available by default. Update your scripts to load br_netfilter if you need this.");
    sy_out(c, SY_ROLE_N, "Bridge firewalling registered");
    sy_out(c, SY_ROLE_N, "Initializing XFRM netlink socket");
  }
  return c->t + (uint64_t)sy_range(&c->r, 1000000, 20000000);
}
