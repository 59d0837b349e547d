/* The synthetic corpus' host model: one machine per incident (name, hardware, kernel build,
 * CPUs, NIC, disks, file systems, GPUs, containers, NFS mounts), drawn to fit the category. */
#include <stdio.h>
#include <string.h>
#include "data/synth_internal.h"

static const sy_kernel kernels[] = {
    {"5.15.0-91-generic", "#101-Ubuntu", 5, 15, true},
    {"5.15.0-105-generic", "#115-Ubuntu", 5, 15, true},
    {"5.15.0-119-generic", "#129-Ubuntu", 5, 15, true},
    {"5.4.0-150-generic", "#167-Ubuntu", 5, 4, true},
    {"6.5.0-35-generic", "#35~22.04.1-Ubuntu", 6, 5, true},
    {"6.8.0-45-generic", "#45-Ubuntu", 6, 8, true},
    {"4.18.0-513.9.1.el8_9.x86_64", "#1", 4, 18, false},
    {"4.18.0-477.27.1.el8_8.x86_64", "#1", 4, 18, false},
    {"5.14.0-362.18.1.el9_3.x86_64", "#1", 5, 14, false},
    {"5.14.0-427.13.1.el9_4.x86_64", "#1", 5, 14, false},
};

typedef struct hw_profile {
  const char *hw;
  bool amd;
  int threads_lo, threads_hi, nodes;
  int ngpu;
  const char *gpu_bus[8];
  const char *gpu_model;
  int nic; /* preferred NIC, -1 any */
  int mem_gb_lo, mem_gb_hi;
} hw_profile;

static const hw_profile gpu_hw[] = {
    {"NVIDIA DGXA100 920-23687-2530-000/DGXA100, BIOS 1.25 06/26/2023", true, 256, 256, 2, 8,
     {"07:00", "0f:00", "47:00", "4e:00", "87:00", "90:00", "b7:00", "bd:00"}, "NVIDIA A100-SXM4-80GB", SY_NIC_MLX5, 1024, 2048},
    {"NVIDIA DGXH100/DGXH100, BIOS 1.1.3 02/23/2023", false, 224, 224, 2, 8,
     {"1b:00", "43:00", "52:00", "61:00", "9d:00", "c3:00", "d1:00", "df:00"}, "NVIDIA H100 80GB HBM3", SY_NIC_MLX5, 2048, 2048},
    {"Supermicro SYS-4029GP-TRT/X11DPG-OT-CPU, BIOS 3.4 03/08/2021", false, 48, 96, 2, 8,
     {"1a:00", "1b:00", "3d:00", "3e:00", "88:00", "89:00", "b1:00", "b2:00"}, "Tesla V100-SXM2-32GB", -1, 384, 768},
    {"Supermicro AS -4124GS-TNR/H12DSG-O-CPU, BIOS 2.4 05/25/2022", true, 128, 256, 2, 8,
     {"01:00", "21:00", "41:00", "61:00", "81:00", "a1:00", "c1:00", "e1:00"}, "NVIDIA A40", -1, 512, 1024},
    {"Dell Inc. PowerEdge XE8545/0X32ND, BIOS 2.13.3 08/09/2023", true, 128, 256, 2, 4,
     {"01:00", "41:00", "81:00", "c1:00"}, "NVIDIA A100-SXM4-80GB", SY_NIC_MLX5, 512, 1024},
    {"Dell Inc. PowerEdge R750xa/0PJ80M, BIOS 1.9.2 03/13/2023", false, 64, 128, 2, 4,
     {"17:00", "31:00", "b1:00", "ca:00"}, "NVIDIA A100 80GB PCIe", -1, 256, 1024},
    {"Lenovo ThinkSystem SR670 V2/7Z23CTO1WW, BIOS U8E122J-1.51 12/08/2021", false, 64, 128, 2, 4,
     {"31:00", "4b:00", "ca:00", "e3:00"}, "NVIDIA L40S", -1, 512, 1024},
    {"Supermicro SYS-421GE-TNRT/X13DEG-OAD, BIOS 1.4 09/15/2023", false, 96, 128, 2, 8,
     {"18:00", "2a:00", "3a:00", "5d:00", "9a:00", "ab:00", "ba:00", "db:00"}, "NVIDIA L40S", -1, 512, 2048},
};

static const hw_profile plain_hw[] = {
    {"Dell Inc. PowerEdge R640/0H28RR, BIOS 2.17.1 08/10/2022", false, 40, 96, 2, 0, {0}, NULL, -1, 192, 768},
    {"Dell Inc. PowerEdge R650/0Y2G81, BIOS 1.8.2 09/22/2022", false, 64, 128, 2, 0, {0}, NULL, -1, 256, 1024},
    {"Dell Inc. PowerEdge R7525/0PYVT1, BIOS 2.11.4 03/22/2023", true, 128, 256, 2, 0, {0}, NULL, -1, 512, 1024},
    {"HPE ProLiant DL380 Gen10/ProLiant DL380 Gen10, BIOS U30 11/24/2021", false, 48, 96, 2, 0, {0}, NULL, -1, 192, 768},
    {"HPE ProLiant DL360 Gen10 Plus/ProLiant DL360 Gen10 Plus, BIOS U46 06/28/2023", false, 64, 128, 2, 0, {0}, NULL, -1, 256, 512},
    {"Supermicro SYS-1029U-TRT/X11DPU, BIOS 3.5 09/29/2021", false, 40, 80, 2, 0, {0}, NULL, SY_NIC_IXGBE, 192, 384},
    {"Lenovo ThinkSystem SR630/-[7X02CTO1WW]-, BIOS -[IVE170M-3.10]- 01/24/2022", false, 48, 96, 2, 0, {0}, NULL, -1, 192, 768},
    {"Gigabyte Technology Co., Ltd. R282-Z90-00/MZ92-FS0-00, BIOS R23 11/05/2021", true, 128, 256, 2, 0, {0}, NULL, -1, 512, 1024},
    {"QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.15.0-1 04/01/2014", false, 4, 32, 1, 0, {0}, NULL, SY_NIC_IXGBE, 16, 128},
    {"Google Google Compute Engine/Google Compute Engine, BIOS Google 10/25/2023", false, 8, 64, 1, 0, {0}, NULL, SY_NIC_IXGBE, 32, 256},
    {"Amazon EC2 m5.4xlarge/, BIOS 1.0 10/16/2017", false, 16, 16, 1, 0, {0}, NULL, SY_NIC_IXGBE, 64, 64},
};

static const char *const nv_versions[] = {"470.223.02", "525.147.05", "535.129.03", "535.183.01", "550.54.15", "550.90.07"};

/* host names the way fleets name them */
static void make_name(sy_rng *r, const sy_host *h, char *buf, size_t n) {
  int k = (int)sy_below(r, 12);
  int a = (int)sy_range(r, 0, 255), b = (int)sy_range(r, 0, 255), d = (int)sy_range(r, 1, 4000); /* drawn in order */
  if (h->ngpu) {
    static const char *const gp[] = {"gpu-node-%03d", "dgx-%03d", "gn%04d", "hpc-gpu%03d", "a100-%02d", "ml-train-%02d"};
    snprintf(buf, n, gp[k % 6], (int)sy_range(r, 1, 480));
    return;
  }
  switch (k) {
    case 0: snprintf(buf, n, "cn%04d", (int)sy_range(r, 1, 2400)); break;
    case 1: snprintf(buf, n, "compute-%d-%02d", a % 13, 1 + b % 40); break;
    case 2: snprintf(buf, n, "ip-10-%d-%d-%d", a, b, 2 + d % 253); break;
    case 3: snprintf(buf, n, "k8s-worker-%02d", (int)sy_range(r, 1, 96)); break;
    case 4: snprintf(buf, n, "db-prod-%02d", (int)sy_range(r, 1, 24)); break;
    case 5: snprintf(buf, n, "web%02d", (int)sy_range(r, 1, 64)); break;
    case 6: snprintf(buf, n, "storage-%02d", (int)sy_range(r, 1, 32)); break;
    case 7: snprintf(buf, n, "r%02dn%02d", 1 + a % 40, 1 + b % 36); break;
    case 8: snprintf(buf, n, "node%04d", (int)sy_range(r, 1, 4000)); break;
    case 9: snprintf(buf, n, "app-%c%c%c%c", 'a' + a % 26, 'a' + b % 26, '0' + d % 10, 'a' + (a + b + d) % 26); break;
    case 10: snprintf(buf, n, "build-%02d", (int)sy_range(r, 1, 48)); break;
    default: snprintf(buf, n, "es-data-%02d", (int)sy_range(r, 1, 30)); break;
  }
}

static void add(char *buf, size_t n, const char *s) {
  size_t l = strlen(buf);
  if (l + strlen(s) + 2 < n) {
    if (l) buf[l++] = ' ';
    strcpy(buf + l, s);
  }
}

/* "Modules linked in:" value, in the order lsmod shows them (newest first) */
static void make_modules(sy_rng *r, sy_host *h) {
  char *m = h->modules;
  size_t n = sizeof h->modules;
  m[0] = 0;
  const char *pm = "(POE)"; /* proprietary, out-of-tree, unsigned */
  char tmp[64];
  if (h->ngpu) {
    static const char *const nv[] = {"nvidia_uvm", "nvidia_drm", "nvidia_modeset", "nvidia_peermem", "nvidia"};
    for (int i = 0; i < 5; i++) {
      if (i == 3 && sy_chance(r, 0.5)) continue;
      snprintf(tmp, sizeof tmp, "%s%s", nv[i], pm);
      add(m, n, tmp);
    }
  }
  if (h->containers) {
    add(m, n, "veth xt_conntrack xt_MASQUERADE nf_conntrack_netlink xfrm_user xfrm_algo xt_addrtype");
    add(m, n, h->k->major >= 5 ? "nft_chain_nat nf_nat nf_conntrack nf_defrag_ipv6 nf_defrag_ipv4 nft_counter nft_compat nf_tables nfnetlink"
                               : "iptable_nat nf_nat nf_conntrack nf_defrag_ipv6 nf_defrag_ipv4 iptable_filter");
    add(m, n, "br_netfilter bridge stp llc overlay");
  }
  if (h->nfs) add(m, n, "nfsv3 rpcsec_gss_krb5 nfsv4 dns_resolver nfs fscache netfs");
  if (h->amd)
    add(m, n, "amd64_edac edac_mce_amd kvm_amd ccp kvm irqbypass crct10dif_pclmul crc32_pclmul ghash_clmulni_intel sha512_ssse3 aesni_intel crypto_simd cryptd rapl");
  else
    add(m, n, "intel_rapl_msr intel_rapl_common i10nm_edac nfit x86_pkg_temp_thermal intel_powerclamp coretemp kvm_intel kvm irqbypass rapl intel_cstate");
  if (h->k->ubuntu) add(m, n, "binfmt_misc nls_iso8859_1");
  add(m, n, "ipmi_ssif mei_me mei ipmi_si ipmi_devintf ipmi_msghandler acpi_power_meter");
  if (h->k->ubuntu) add(m, n, "mac_hid sch_fq_codel dm_multipath scsi_dh_rdac scsi_dh_emc scsi_dh_alua msr");
  if (h->nfs) add(m, n, "nfs_acl lockd grace auth_rpcgss sunrpc");
  else if (!h->k->ubuntu) add(m, n, "sunrpc");
  if (h->k->ubuntu) add(m, n, "ip_tables x_tables autofs4 btrfs blake2b_generic zstd_compress raid10 raid456 async_raid6_recov async_memcpy async_pq async_xor async_tx xor raid6_pq libcrc32c raid1 raid0");
  else add(m, n, h->root_xfs ? "xfs libcrc32c sd_mod t10_pi sg" : "ext4 mbcache jbd2 sd_mod t10_pi sg");
  switch (h->nic) {
    case SY_NIC_MLX5: add(m, n, "mlx5_ib ib_uverbs ib_core mlx5_core mlxfw psample tls pci_hyperv_intf"); break;
    case SY_NIC_IXGBE: add(m, n, "ixgbe mdio dca"); break;
    case SY_NIC_I40E: add(m, n, "i40e"); break;
    case SY_NIC_BNXT: add(m, n, "bnxt_en"); break;
    default: add(m, n, "igb dca i2c_algo_bit"); break;
  }
  add(m, n, h->ngpu ? "ast drm_vram_helper drm_ttm_helper ttm drm_kms_helper" : "mgag200 drm_kms_helper");
  if (h->nvme) add(m, n, "nvme nvme_core");
  else add(m, n, sy_chance(r, 0.5) ? "megaraid_sas ahci libahci" : "ahci libahci");
  add(m, n, "xhci_pci xhci_pci_renesas i2c_i801 wmi");
  if (h->k->ubuntu) add(m, n, "drm");
  else add(m, n, "dm_mirror dm_region_hash dm_log dm_mod fuse");
  (void)sy_u32(r);
}

void sy_host_make(sy_rng *r, int category, sy_host *h) {
  memset(h, 0, sizeof *h);
  bool gpu = category == SY_GPU_XID || sy_chance(r, 0.45);
  const hw_profile *p = gpu ? &SY_PICK(r, gpu_hw) : &SY_PICK(r, plain_hw);
  h->hw = p->hw;
  h->amd = p->amd;
  h->ncpu = (int)sy_range(r, p->threads_lo / 8, p->threads_hi / 8) * 8;
  h->nodes = p->nodes;
  h->mem_kb = (uint64_t)sy_range(r, p->mem_gb_lo / 32, p->mem_gb_hi / 32) * 32 * 1048576;
  h->mem_kb -= (uint64_t)sy_range(r, 600, 9000) * 1024;
  /* kernel: GPU fleets run Ubuntu or RHEL, RHEL 8 kernels are still common */
  h->k = &kernels[sy_below(r, SY_N_OF(kernels))];
  h->ngpu = p->ngpu;
  for (int i = 0; i < p->ngpu; i++) snprintf(h->gpu_bus[i], sizeof h->gpu_bus[i], "%s", p->gpu_bus[i]);
  h->gpu_model = p->gpu_model;
  h->nv_ver = SY_PICK(r, nv_versions);
  /* NIC */
  int nic = p->nic;
  if (category == SY_NIC_TIMEOUT) nic = sy_chance(r, 0.55) ? SY_NIC_MLX5 : SY_NIC_IXGBE;
  else if (nic < 0) {
    static const int nw[] = {40, 25, 15, 12, 8};
    nic = sy_weighted(r, nw, 5);
  }
  h->nic = nic;
  int bus = (int)sy_range(r, 0x02, 0xe3);
  snprintf(h->nic_pci, sizeof h->nic_pci, "0000:%02x:00.0", bus);
  switch (nic) {
    case SY_NIC_MLX5:
      h->nic_drv = "mlx5_core";
      snprintf(h->ifname, sizeof h->ifname, sy_chance(r, 0.5) ? "enp%ds0f0np0" : "ens%dnp0", bus);
      snprintf(h->ifname2, sizeof h->ifname2, "enp%ds0f1np1", bus);
      h->nic_mbps = sy_chance(r, 0.5) ? 100000 : sy_chance(r, 0.5) ? 200000 : 25000;
      break;
    case SY_NIC_IXGBE:
      h->nic_drv = "ixgbe";
      snprintf(h->ifname, sizeof h->ifname, sy_chance(r, 0.5) ? "enp%ds0f0" : "eno1", bus);
      snprintf(h->ifname2, sizeof h->ifname2, sy_chance(r, 0.5) ? "enp%ds0f1" : "eno2", bus);
      h->nic_mbps = 10000;
      break;
    case SY_NIC_I40E:
      h->nic_drv = "i40e";
      snprintf(h->ifname, sizeof h->ifname, "ens%df0", (int)sy_range(r, 1, 6));
      snprintf(h->ifname2, sizeof h->ifname2, "ens%df1", (int)sy_range(r, 1, 6));
      h->nic_mbps = sy_chance(r, 0.5) ? 25000 : 10000;
      break;
    case SY_NIC_BNXT:
      h->nic_drv = "bnxt_en";
      snprintf(h->ifname, sizeof h->ifname, "eno%dnp0", (int)sy_range(r, 1, 2));
      snprintf(h->ifname2, sizeof h->ifname2, "eno%dnp1", (int)sy_range(r, 1, 2));
      h->nic_mbps = 25000;
      break;
    default:
      h->nic_drv = "igb";
      snprintf(h->ifname, sizeof h->ifname, "eno1");
      snprintf(h->ifname2, sizeof h->ifname2, "eno2");
      h->nic_mbps = 1000;
      break;
  }
  h->bond = sy_chance(r, 0.3);
  /* storage */
  h->nvme = sy_chance(r, gpu ? 0.85 : 0.55);
  h->root_xfs = !h->k->ubuntu && sy_chance(r, 0.8);
  h->scsi_host = (int)sy_range(r, 0, 6);
  if (h->nvme) {
    snprintf(h->disk, sizeof h->disk, "nvme0n1");
    snprintf(h->rootpart, sizeof h->rootpart, h->root_xfs ? "dm-0" : "nvme0n1p2");
  } else {
    snprintf(h->disk, sizeof h->disk, "sda");
    snprintf(h->rootpart, sizeof h->rootpart, h->root_xfs ? "dm-0" : sy_chance(r, 0.5) ? "sda2" : "sda1");
  }
  h->has_data = sy_chance(r, 0.7) || category == SY_FS_CORRUPTION;
  h->data_xfs = sy_chance(r, 0.55);
  if (h->nvme) {
    snprintf(h->datadev, sizeof h->datadev, "nvme%dn1", (int)sy_range(r, 1, 3));
    if (sy_chance(r, 0.3)) snprintf(h->datapart, sizeof h->datapart, "md0");
    else snprintf(h->datapart, sizeof h->datapart, "%s", h->datadev);
  } else {
    snprintf(h->datadev, sizeof h->datadev, "sd%c", 'b' + (int)sy_below(r, 3));
    snprintf(h->datapart, sizeof h->datapart, "%.8s1", h->datadev);
  }
  h->containers = sy_weighted(r, (const int[]){35, 35, 30}, 3);
  h->nfs = category == SY_NFS || sy_chance(r, 0.3);
  static const char *const nfs[] = {"nas01", "nas02.cluster.local", "10.%d.%d.%d", "filer-a", "isilon.corp.example.com",
                                    "home-nfs", "scratch.hpc.local", "netapp-svm1"};
  const char *ns = SY_PICK(r, nfs);
  int i1 = (int)sy_range(r, 0, 255), i2 = (int)sy_range(r, 0, 255), i3 = (int)sy_range(r, 2, 254);
  if (ns[0] == '1') snprintf(h->nfs_server, sizeof h->nfs_server, ns, i1, i2, i3);
  else snprintf(h->nfs_server, sizeof h->nfs_server, "%s", ns);
  static const char *const mnt[] = {"/home", "/scratch", "/data", "/shared", "/mnt/datasets", "/nfs/projects"};
  snprintf(h->nfs_mount, sizeof h->nfs_mount, "%s", SY_PICK(r, mnt));
  h->ufw = h->k->ubuntu && sy_chance(r, 0.35);
  h->selinux = !h->k->ubuntu;
  h->kasan = false;
  /* boot between 2022-06-01 and 2024-12-20 */
  h->boot_epoch = (uint64_t)sy_range(r, 1654041600, 1734652800);
  /* direct map: fixed without KASLR, randomised (0xffff9...) with it */
  h->kbase = sy_chance(r, 0.3) ? 0xffff888000000000ull : 0xffff900000000000ull + ((uint64_t)sy_range(r, 0, 0x2fff) << 28);
  h->vbase = 0xffffa00000000000ull + ((uint64_t)sy_range(r, 0, 0x1fff) << 28);
  h->kaslr = (uint32_t)sy_range(r, 1, 500);
  make_name(r, h, h->name, sizeof h->name);
  make_modules(r, h);
}
