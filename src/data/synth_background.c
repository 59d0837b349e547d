/* Ordinary runtime kernel messages: container networking, audit, firewall, segfaults, USB,
 * mounts, snaps, conntrack, perf, RAID checks, ... in the printk formats of the kernels the
 * host model runs. Messages come in episodes (bursts) separated by exponential gaps. */
#include <stdio.h>
#include <string.h>
#include "data/synth_internal.h"

static void hexid(sy_ctx *c, char *buf, int n) {
  static const char hx[] = "0123456789abcdef";
  for (int i = 0; i < n; i++) buf[i] = hx[sy_below(&c->r, 16)];
  buf[n] = 0;
}

static void mac(sy_ctx *c, char *buf) {
  unsigned b[6];
  for (int i = 0; i < 6; i++) b[i] = sy_below(&c->r, 256);
  sprintf(buf, "%02x:%02x:%02x:%02x:%02x:%02x", b[0] & 0xfc, b[1], b[2], b[3], b[4], b[5]);
}

static void ip(sy_ctx *c, char *buf) {
  static const char *const pre[] = {"10.%u.%u.%u", "172.16.%u.%u", "192.168.%u.%u", "203.0.113.%u", "198.51.100.%u", "45.%u.%u.%u"};
  int k = (int)sy_below(&c->r, SY_N_OF(pre));
  unsigned a = sy_below(&c->r, 256), b = sy_below(&c->r, 256), d = 2 + sy_below(&c->r, 250);
  sprintf(buf, pre[k], a, b, d);
}

static void ms(sy_ctx *c, int lo, int hi) { sy_wait(c, (uint64_t)sy_range(&c->r, lo, hi) * 1000); }

static const char *bridge(sy_ctx *c, char *buf) {
  if (c->h.containers == 2) return "cni0";
  if (sy_chance(&c->r, 0.7)) return "docker0";
  char id[16];
  hexid(c, id, 12);
  sprintf(buf, "br-%s", id);
  return buf;
}

static void ep_veth_up(sy_ctx *c) {
  char v[16], v2[16], bb[24];
  hexid(c, v, c->h.containers == 2 ? 8 : 7);
  hexid(c, v2, 7);
  const char *br = bridge(c, bb);
  int port = (int)sy_range(&c->r, 1, 40);
  bool six = c->h.k->major >= 6;
  if (c->h.containers == 2 && sy_chance(&c->r, 0.5)) { /* calico */
    char cali[16];
    hexid(c, cali, 11);
    sy_out(c, SY_ROLE_N, "IPv6: ADDRCONF(NETDEV_CHANGE): cali%s: link becomes ready", cali);
    return;
  }
  sy_out(c, SY_ROLE_N, "%s: port %d(veth%s) entered blocking state", br, port, v);
  sy_out(c, SY_ROLE_N, "%s: port %d(veth%s) entered disabled state", br, port, v);
  if (six) {
    sy_out(c, SY_ROLE_N, "veth%s: entered allmulticast mode", v);
    sy_out(c, SY_ROLE_N, "veth%s: entered promiscuous mode", v);
  } else {
    sy_out(c, SY_ROLE_N, "device veth%s entered promiscuous mode", v);
  }
  ms(c, 20, 400);
  sy_out(c, SY_ROLE_N, "eth0: renamed from veth%s", v2);
  if (!(c->h.k->major == 6 && c->h.k->minor >= 8)) sy_out(c, SY_ROLE_N, "IPv6: ADDRCONF(NETDEV_CHANGE): veth%s: link becomes ready", v);
  sy_out(c, SY_ROLE_N, "%s: port %d(veth%s) entered blocking state", br, port, v);
  sy_out(c, SY_ROLE_N, "%s: port %d(veth%s) entered forwarding state", br, port, v);
}

static void ep_veth_down(sy_ctx *c) {
  char v[16], bb[24];
  hexid(c, v, c->h.containers == 2 ? 8 : 7);
  const char *br = bridge(c, bb);
  int port = (int)sy_range(&c->r, 1, 40);
  sy_out(c, SY_ROLE_N, "%s: port %d(veth%s) entered disabled state", br, port, v);
  ms(c, 5, 200);
  sy_out(c, SY_ROLE_N, "veth%s: renamed from eth0", v);
  sy_out(c, SY_ROLE_N, "%s: port %d(veth%s) entered disabled state", br, port, v);
  if (c->h.k->major >= 6) {
    sy_out(c, SY_ROLE_N, "veth%s (unregistering): left allmulticast mode", v);
    sy_out(c, SY_ROLE_N, "veth%s (unregistering): left promiscuous mode", v);
  } else {
    sy_out(c, SY_ROLE_N, "device veth%s left promiscuous mode", v);
  }
  sy_out(c, SY_ROLE_N, "%s: port %d(veth%s) entered disabled state", br, port, v);
}

static void ep_audit(sy_ctx *c) {
  char st[64];
  int n = (int)sy_logu(&c->r, 1, 12);
  for (int i = 0; i < n; i++) {
    sy_audit_stamp(c, st, sizeof st);
    if (c->h.selinux) {
      static const char *const comm[] = {"node_exporter", "sssd_nss", "rpcbind", "sshd", "crond", "snmpd", "collectd", "chronyd"};
      static const char *const what[][4] = {
          {"read", "stat", "proc", "proc_t"},
          {"search", "net", "proc", "sysctl_net_t"},
          {"getattr", "/dev/nvidia0", "devtmpfs", "xserver_misc_device_t"},
          {"open", "meminfo", "proc", "proc_t"},
          {"write", "sock", "sockfs", "unlabeled_t"},
      };
      int w = (int)sy_below(&c->r, SY_N_OF(what));
      int pid = sy_newpid(c);
      const char *cm = SY_PICK(&c->r, comm);
      unsigned ino = 4000 + sy_below(&c->r, 4000000);
      const char *sc = SY_PICK(&c->r, ((const char *const[]){"unconfined_service_t", "initrc_t", "sshd_t", "rpcbind_t", "snmpd_t"}));
      sy_out(c, SY_ROLE_N,
             "audit: type=1400 %s: avc:  denied  { %s } for  pid=%d comm=\"%s\" name=\"%s\" dev=\"%s\" ino=%u "
             "scontext=system_u:system_r:%s:s0 tcontext=system_u:object_r:%s:s0 tclass=file permissive=0",
             st, what[w][0], pid, cm, what[w][1], what[w][2], ino, sc, what[w][3]);
    } else if (sy_chance(&c->r, 0.45)) {
      static const char *const prof[] = {"snap.lxd.daemon", "/usr/sbin/cups-browsed", "docker-default", "cri-containerd.apparmor.d",
                                         "/usr/bin/man", "snap-update-ns.lxd", "/usr/sbin/tcpdump", "snap.snapd-desktop-integration"};
      static const char *const name[] = {"/proc/sys/kernel/osrelease", "/etc/ssl/openssl.cnf", "/sys/fs/cgroup/cpu.max",
                                         "/run/systemd/userdb/", "/proc/1/environ", "/dev/tty"};
      const char *pr = SY_PICK(&c->r, prof), *nm = SY_PICK(&c->r, name);
      int pid = sy_newpid(c);
      const char *cm = sy_ucomm(c);
      int uid = sy_chance(&c->r, 0.5) ? 0 : 1000;
      sy_out(c, SY_ROLE_N,
             "audit: type=1400 %s: apparmor=\"DENIED\" operation=\"open\" class=\"file\" profile=\"%s\" name=\"%s\" pid=%d "
             "comm=\"%s\" requested_mask=\"r\" denied_mask=\"r\" fsuid=%d ouid=0",
             st, pr, nm, pid, cm, uid);
    } else if (sy_chance(&c->r, 0.5)) {
      static const char *const unit[] = {"systemd-tmpfiles-clean", "sysstat-collect", "man-db", "apt-daily", "fwupd-refresh",
                                         "logrotate", "motd-news", "apt-daily-upgrade", "update-notifier-download", "e2scrub_all",
                                         "certbot", "phpsessionclean", "snapd.snap-repair"};
      bool stop = sy_chance(&c->r, 0.5);
      sy_out(c, SY_ROLE_N,
             "audit: type=%d %s: pid=1 uid=0 auid=4294967295 ses=4294967295 subj=unconfined msg='unit=%s "
             "comm=\"systemd\" exe=\"/usr/lib/systemd/systemd\" hostname=? addr=? terminal=? res=success'",
             stop ? 1131 : 1130, st, SY_PICK(&c->r, unit));
    } else if (c->h.k->major >= 6) {
      int id = (int)sy_range(&c->r, 20, 900);
      sy_out(c, SY_ROLE_N, "audit: type=1334 %s: prog-id=%d op=%s", st, id, sy_chance(&c->r, 0.5) ? "LOAD" : "UNLOAD");
    } else {
      const char *nm = SY_PICK(&c->r, ((const char *const[]){"docker-default", "/usr/bin/man", "lsb_release", "nvidia_modprobe"}));
      sy_out(c, SY_ROLE_N,
             "audit: type=1400 %s: apparmor=\"STATUS\" operation=\"profile_replace\" info=\"same as current profile, skipping\" "
             "profile=\"unconfined\" name=\"%s\" pid=%d comm=\"apparmor_parser\"",
             st, nm, sy_newpid(c));
    }
    ms(c, 0, 300);
  }
}

static void ep_ufw(sy_ctx *c) {
  int n = (int)sy_logu(&c->r, 1, 10);
  char m1[20], m2[20], src[20], dst[20];
  uint64_t hh = sy_hash(c->h.name, 11); /* the host's own MAC and address */
  sprintf(m1, "%02x:%02x:%02x:%02x:%02x:%02x", (unsigned)(hh >> 24 & 0xfc), (unsigned)(hh >> 32 & 0xff), (unsigned)(hh >> 40 & 0xff),
          (unsigned)(hh >> 48 & 0xff), (unsigned)(hh >> 56 & 0xff), (unsigned)(hh >> 20 & 0xff));
  mac(c, m2);
  sprintf(dst, "10.%u.%u.%u", (unsigned)(hh & 0xff), (unsigned)(hh >> 8 & 0xff), (unsigned)(2 + (hh >> 16) % 250));
  for (int i = 0; i < n; i++) {
    ip(c, src);
    if (sy_chance(&c->r, 0.75)) {
      int len = SY_PICK(&c->r, ((const int[]){40, 44, 52, 60})), ttl = (int)sy_range(&c->r, 40, 250);
      int id = (int)sy_range(&c->r, 1, 65535);
      const char *df = sy_chance(&c->r, 0.5) ? "DF " : "";
      int spt = (int)sy_range(&c->r, 1024, 65535);
      int dpt = SY_PICK(&c->r, ((const int[]){22, 23, 80, 443, 3389, 8080, 6379, 5432, 2375, 9200, 445}));
      int win = SY_PICK(&c->r, ((const int[]){1024, 29200, 64240, 65535, 14600}));
      sy_out(c, SY_ROLE_N,
             "[UFW BLOCK] IN=%s OUT= MAC=%s:%s:08:00 SRC=%s DST=%s LEN=%d TOS=0x00 PREC=0x00 TTL=%d ID=%d %sPROTO=TCP "
             "SPT=%d DPT=%d WINDOW=%d RES=0x00 SYN URGP=0",
             c->h.ifname, m1, m2, src, dst, len, ttl, id, df, spt, dpt, win);
    } else {
      int len = (int)sy_range(&c->r, 40, 600), ttl = (int)sy_range(&c->r, 40, 250);
      int id = (int)sy_range(&c->r, 1, 65535), spt = (int)sy_range(&c->r, 1024, 65535);
      int dpt = SY_PICK(&c->r, ((const int[]){53, 123, 137, 161, 1900, 5353, 11211}));
      int ulen = (int)sy_range(&c->r, 20, 580);
      sy_out(c, SY_ROLE_N,
             "[UFW BLOCK] IN=%s OUT= MAC=%s:%s:08:00 SRC=%s DST=%s LEN=%d TOS=0x00 PREC=0x00 TTL=%d ID=%d PROTO=UDP SPT=%d "
             "DPT=%d LEN=%d",
             c->h.ifname, m1, m2, src, dst, len, ttl, id, spt, dpt, ulen);
    }
    ms(c, 0, 4000);
  }
}

static void ep_segfault(sy_ctx *c) {
  static const char *const lib[] = {"libc.so.6", "libpthread-2.31.so", "libstdc++.so.6.0.30", "libpython3.10.so.1.0",
                                    "libcuda.so.535.129.03", "libjvm.so", "node", "python3.10", "libnvidia-ml.so.1"};
  const char *comm = sy_chance(&c->r, 0.3) && c->h.ngpu ? sy_gpucomm(c) : sy_ucomm(c);
  int pid = sy_newpid(c);
  unsigned long long base = 0x7f0000000000ull + ((unsigned long long)sy_range(&c->r, 0, 0xffffff) << 12);
  unsigned long long size = (unsigned long long)sy_range(&c->r, 0x20, 0x2000) << 12;
  unsigned long long ip = base + (unsigned long long)sy_range(&c->r, 0, (int64_t)size - 1);
  const char *l = SY_PICK(&c->r, lib);
  if (sy_chance(&c->r, 0.8)) {
    char cpu[64] = "";
    if (c->h.k->major >= 6) {
      int cp = (int)sy_below(&c->r, (uint32_t)c->h.ncpu), core = (int)sy_below(&c->r, 32), sock = (int)sy_below(&c->r, 2);
      snprintf(cpu, sizeof cpu, " likely on CPU %d (core %d, socket %d)", cp, core, sock);
    }
    unsigned long long at = sy_chance(&c->r, 0.5) ? 0ull : (unsigned long long)sy_range(&c->r, 1, 0xffffffff);
    unsigned long long sp = 0x7ffc00000000ull + (unsigned long long)sy_range(&c->r, 0, 0x3ffffffff);
    int err = SY_PICK(&c->r, ((const int[]){4, 6, 14, 15, 7}));
    sy_out(c, SY_ROLE_N, "%s[%d]: segfault at %llx ip %016llx sp %016llx error %d in %s[%llx+%llx]%s", comm, pid, at, ip, sp, err, l,
           base, size, cpu);
    if (c->h.k->major >= 5) {
      char code[300];
      size_t len = 0;
      for (int i = 0; i < 64; i++) len += (size_t)snprintf(code + len, sizeof code - len, i == 42 ? "<%02x> " : "%02x ", sy_below(&c->r, 256));
      code[len - 1] = 0;
      sy_out(c, SY_ROLE_N, "Code: %s", code);
    }
  } else {
    const char *what = sy_chance(&c->r, 0.6) ? "general protection fault" : "trap invalid opcode";
    unsigned long long sp = 0x7ffc00000000ull + (unsigned long long)sy_range(&c->r, 0, 0x3ffffffff);
    sy_out(c, SY_ROLE_N, "traps: %s[%d] %s ip:%llx sp:%llx error:0 in %s[%llx+%llx]", comm, pid, what, ip, sp, l, base, size);
  }
}

static void ep_usb(sy_ctx *c) {
  int bus = (int)sy_range(&c->r, 1, 2), port = (int)sy_range(&c->r, 1, 14), dev = (int)sy_range(&c->r, 2, 30);
  if (sy_chance(&c->r, 0.4)) {
    sy_out(c, SY_ROLE_N, "usb %d-%d: USB disconnect, device number %d", bus, port, dev);
    return;
  }
  bool bmc = sy_chance(&c->r, 0.6);
  sy_out(c, SY_ROLE_N, "usb %d-%d: new high-speed USB device number %d using xhci_hcd", bus, port, dev);
  ms(c, 100, 200);
  if (bmc) {
    sy_out(c, SY_ROLE_N, "usb %d-%d: New USB device found, idVendor=046b, idProduct=ff01, bcdDevice= 1.00", bus, port);
    sy_out(c, SY_ROLE_N, "usb %d-%d: New USB device strings: Mfr=1, Product=2, SerialNumber=3", bus, port);
    sy_out(c, SY_ROLE_N, "usb %d-%d: Product: Virtual Hub", bus, port);
    sy_out(c, SY_ROLE_N, "usb %d-%d: Manufacturer: American Megatrends Inc.", bus, port);
    sy_out(c, SY_ROLE_N, "usb %d-%d: SerialNumber: serial", bus, port);
    sy_out(c, SY_ROLE_N, "hub %d-%d:1.0: USB hub found", bus, port);
    sy_out(c, SY_ROLE_N, "hub %d-%d:1.0: 5 ports detected", bus, port);
  } else {
    static const char *const prod[][4] = {{"0781", "5583", "Ultra Fit", "SanDisk"},
                                          {"0951", "1666", "DataTraveler 3.0", "Kingston"},
                                          {"090c", "1000", "Flash Drive", "Samsung"}};
    int p = (int)sy_below(&c->r, 3);
    sy_out(c, SY_ROLE_N, "usb %d-%d: New USB device found, idVendor=%s, idProduct=%s, bcdDevice= 1.00", bus, port, prod[p][0], prod[p][1]);
    sy_out(c, SY_ROLE_N, "usb %d-%d: New USB device strings: Mfr=1, Product=2, SerialNumber=3", bus, port);
    sy_out(c, SY_ROLE_N, "usb %d-%d: Product: %s", bus, port, prod[p][2]);
    sy_out(c, SY_ROLE_N, "usb %d-%d: Manufacturer: %s", bus, port, prod[p][3]);
    unsigned s1 = sy_u32(&c->r), s2 = sy_u32(&c->r);
    sy_out(c, SY_ROLE_N, "usb %d-%d: SerialNumber: %08X%08X", bus, port, s1, s2);
    sy_out(c, SY_ROLE_N, "usb-storage %d-%d:1.0: USB Mass Storage device detected", bus, port);
    int host = (int)sy_range(&c->r, 6, 14);
    sy_out(c, SY_ROLE_N, "scsi host%d: usb-storage %d-%d:1.0", host, bus, port);
    ms(c, 900, 1100);
    sy_out(c, SY_ROLE_N, "scsi %d:0:0:0: Direct-Access     %-8.8s %-16.16s 1.00 PQ: 0 ANSI: 6", host, prod[p][3], prod[p][2]);
    sy_out(c, SY_ROLE_N, "sd %d:0:0:0: Attached scsi generic sg%d type 0", host, (int)sy_range(&c->r, 2, 9));
    sy_out(c, SY_ROLE_N, "sd %d:0:0:0: [sdz] 60063744 512-byte logical blocks: (30.8 GB/28.6 GiB)", host);
    sy_out(c, SY_ROLE_N, "sd %d:0:0:0: [sdz] Write Protect is off", host);
    sy_out(c, SY_ROLE_N, " sdz: sdz1");
    sy_out(c, SY_ROLE_N, "sd %d:0:0:0: [sdz] Attached SCSI removable disk", host);
  }
}

static void ep_net_misc(sy_ctx *c) {
  char a[20], b[20], m1[20];
  switch (sy_below(&c->r, 6)) {
    case 0:
      sy_out(c, SY_ROLE_N, "TCP: request_sock_TCP: Possible SYN flooding on port %d. Sending cookies.  Check SNMP counters.",
             SY_PICK(&c->r, ((const int[]){80, 443, 8080, 8443, 6443, 9092, 5432})));
      break;
    case 1:
      ip(c, a);
      ip(c, b);
      mac(c, m1);
      sy_out(c, SY_ROLE_N, "IPv4: martian source %s from %s, on dev %s", a, b, c->h.ifname);
      sy_out(c, SY_ROLE_N, "ll header: 00000000: ff ff ff ff ff ff %c%c %c%c %c%c %c%c %c%c %c%c 08 06", m1[0], m1[1], m1[3], m1[4],
             m1[6], m1[7], m1[9], m1[10], m1[12], m1[13], m1[15], m1[16]);
      break;
    case 2: {
      int n = (int)sy_logu(&c->r, 1, 8);
      for (int i = 0; i < n; i++) {
        if (i && sy_chance(&c->r, 0.4)) sy_out(c, SY_ROLE_N, "net_ratelimit: %d callbacks suppressed", (int)sy_logu(&c->r, 2, 900));
        sy_out(c, SY_ROLE_N, "nf_conntrack: nf_conntrack: table full, dropping packet");
        ms(c, 1, 5000);
      }
      break;
    }
    case 3:
      if (c->h.containers == 2) {
        ip(c, a);
        sy_out(c, SY_ROLE_N, "IPVS: rr: TCP %s:%d - no destination available", a, SY_PICK(&c->r, ((const int[]){443, 53, 80, 9153, 8080})));
      } else {
        sy_out(c, SY_ROLE_N, "TCP: %s: Driver has suspect GRO implementation, TCP performance may be compromised.", c->h.ifname);
      }
      break;
    case 4:
      sy_out(c, SY_ROLE_N, "kauditd_printk_skb: %d callbacks suppressed", (int)sy_logu(&c->r, 2, 200));
      break;
    default:
      sy_out(c, SY_ROLE_N, "TCP: out of memory -- consider tuning tcp_mem");
      break;
  }
}

static const char *fs_uuid(sy_ctx *c, char *buf) {
  char a[9], b[5], d[5], e[5], f[13];
  hexid(c, a, 8);
  hexid(c, b, 4);
  hexid(c, d, 4);
  hexid(c, e, 4);
  hexid(c, f, 12);
  sprintf(buf, "%s-%s-%s-%s-%s", a, b, d, e, f);
  return buf;
}

/* "EXT4-fs (dev): mounted filesystem ..." as this kernel prints it */
static void ext4_mounted(sy_ctx *c, const char *dev) {
  char u[40];
  if (c->h.k->major >= 6) sy_out(c, SY_ROLE_N, "EXT4-fs (%s): mounted filesystem %s r/w with ordered data mode. Quota mode: none.", dev, fs_uuid(c, u));
  else if (c->h.k->major == 5) sy_out(c, SY_ROLE_N, "EXT4-fs (%s): mounted filesystem with ordered data mode. Opts: (null). Quota mode: none.", dev);
  else sy_out(c, SY_ROLE_N, "EXT4-fs (%s): mounted filesystem with ordered data mode. Opts: (null)", dev);
}

static void ep_mount(sy_ctx *c) {
  int k = (int)sy_range(&c->r, 0, 15);
  char dev[16];
  if (c->h.containers == 2 && sy_chance(&c->r, 0.6)) {
    snprintf(dev, sizeof dev, "rbd%d", k);
    if (sy_chance(&c->r, 0.7)) {
      sy_out(c, SY_ROLE_N, "rbd: rbd%d: capacity %llu features 0x3d", k, (unsigned long long)sy_range(&c->r, 1, 200) << 30);
      ms(c, 100, 900);
      if (sy_chance(&c->r, 0.6)) ext4_mounted(c, dev);
      else {
        sy_out(c, SY_ROLE_N, "XFS (%s): Mounting V5 Filesystem", dev);
        ms(c, 10, 300);
        sy_out(c, SY_ROLE_N, "XFS (%s): Ending clean mount", dev);
      }
    } else {
      if (sy_chance(&c->r, 0.5)) sy_out(c, SY_ROLE_N, c->h.k->major >= 6 ? "EXT4-fs (%s): unmounting filesystem." : "XFS (%s): Unmounting Filesystem", dev);
      else sy_out(c, SY_ROLE_N, "XFS (%s): Unmounting Filesystem", dev);
    }
    return;
  }
  if (sy_chance(&c->r, 0.7)) { /* snap refreshes and container images attach loop devices */
    int loop = (int)sy_range(&c->r, 0, 30);
    sy_out(c, SY_ROLE_N, "loop%d: detected capacity change from 0 to %d", loop, (int)sy_range(&c->r, 8, 700000));
    if (sy_chance(&c->r, 0.3)) {
      ms(c, 1, 50);
      snprintf(dev, sizeof dev, "loop%d", loop);
      ext4_mounted(c, dev);
    }
    return;
  }
  if (c->h.containers) {
    char id[30];
    hexid(c, id, 26);
    sy_out(c, SY_ROLE_N, "overlayfs: fs on '/var/lib/docker/overlay2/l/%s' does not support file handles, falling back to xino=off.", id);
  } else {
    sy_out(c, SY_ROLE_N, "EXT4-fs (%s): re-mounted. Opts: errors=remount-ro. Quota mode: none.", c->h.rootpart);
  }
}

static void ep_rare(sy_ctx *c) {
  switch (sy_below(&c->r, 9)) {
    case 0: {
      int a = (int)sy_range(&c->r, 2501, 9000), b = a - (int)sy_range(&c->r, 1, 600), rate = (int)sy_range(&c->r, 20, 80) * 1000 - 250;
      sy_out(c, SY_ROLE_N, "perf: interrupt took too long (%d > %d), lowering kernel.perf_event_max_sample_rate to %d", a, b, rate);
      break;
    }
    case 1:
    {
      int a = (int)sy_range(&c->r, 1, 40), b = (int)sy_below(&c->r, 1000);
      sy_out(c, SY_ROLE_N, "INFO: NMI handler (perf_event_nmi_handler) took too long to run: %d.%03d msecs", a, b);
    }
      break;
    case 2: sy_out(c, SY_ROLE_N, "hrtimer: interrupt took %d ns", (int)sy_range(&c->r, 90000, 9000000)); break;
    case 3: sy_out(c, SY_ROLE_N, "sched: RT throttling activated"); break;
    case 4: sy_out(c, SY_ROLE_N, "md: data-check of RAID array md%d", (int)sy_range(&c->r, 0, 2)); break;
    case 5: sy_out(c, SY_ROLE_N, "md: md%d: data-check done.", (int)sy_range(&c->r, 0, 2)); break;
    case 6:
      if (!c->h.amd) {
        const char *cm = sy_ucomm(c);
        int pid = sy_newpid(c);
        unsigned long long a = 0x7f0000000000ull + ((unsigned long long)sy_range(&c->r, 0, 0xffffff) << 12);
        a += sy_below(&c->r, 4096);
        sy_out(c, SY_ROLE_N, "x86/split lock detection: #AC: %s/%d took a split_lock trap at address: 0x%llx", cm, pid, a);
        break;
      }
      /* fall through */
    case 7:
      sy_out(c, SY_ROLE_N, "NOHZ tick-stop error: Non-RCU local softirq work is pending, handler #%02x!!!", SY_PICK(&c->r, ((const unsigned[]){0x08, 0x80, 0x200, 0x10})));
      break;
    default:
      sy_out(c, SY_ROLE_N, "cgroup: fork rejected by pids controller in /%s", c->h.containers == 2 ? "kubepods.slice/kubepods-burstable.slice" : "system.slice/docker.service");
      break;
  }
}

static void ep_gpu_misc(sy_ctx *c) {
  int g = (int)sy_below(&c->r, (uint32_t)c->h.ngpu);
  switch (sy_below(&c->r, 3)) {
    case 0:
      sy_out(c, SY_ROLE_N, "nvidia-modeset: WARNING: GPU:%d: Lost display notification (0:0x00000000); continuing.", g);
      break;
    case 1:
      sy_out(c, SY_ROLE_N, "NVRM: GPU at PCI:0000:%s: GPU-%08x-%04x-%04x-%04x-%04x%08x", c->h.gpu_bus[g],
             (unsigned)sy_hash(c->h.gpu_bus[g], c->h.boot_epoch), (unsigned)(sy_hash(c->h.name, 1) & 0xffff), (unsigned)(sy_hash(c->h.name, 2) & 0xffff),
             (unsigned)(sy_hash(c->h.gpu_bus[g], 3) & 0xffff), (unsigned)(sy_hash(c->h.gpu_bus[g], 4) & 0xffff), (unsigned)sy_hash(c->h.name, 5));
      break;
    default:
    {
      int bus = (int)sy_range(&c->r, 0x84, 0x8a), link = (int)sy_range(&c->r, 0, 35);
      sy_out(c, SY_ROLE_N, "nvidia-nvswitch%d: SXid (PCI:0000:%02x:00.0): 20034, Fatal, Link %02d LTSSM Fault Up", g, bus, link);
    }
      break;
  }
}

/* One episode at the cursor; returns nothing, emits 1..n lines. */
static void episode(sy_ctx *c) {
  const sy_host *h = &c->h;
  int w[10] = {
      h->containers ? 26 : 0,           /* veth up */
      h->containers ? 20 : 0,           /* veth down */
      h->selinux ? 12 : 18,             /* audit */
      h->ufw ? 22 : 0,                  /* firewall */
      10,                               /* segfault */
      3,                                /* usb */
      8,                                /* network misc */
      10,                               /* mounts, loops */
      4,                                /* rare kernel notes */
      h->ngpu ? 3 : 0,                  /* gpu misc */
  };
  switch (sy_weighted(&c->r, w, 10)) {
    case 0: ep_veth_up(c); break;
    case 1: ep_veth_down(c); break;
    case 2: ep_audit(c); break;
    case 3: ep_ufw(c); break;
    case 4: ep_segfault(c); break;
    case 5: ep_usb(c); break;
    case 6: ep_net_misc(c); break;
    case 7: ep_mount(c); break;
    case 8: ep_rare(c); break;
    default: ep_gpu_misc(c); break;
  }
}

uint64_t sy_background(sy_ctx *c, uint64_t t_from, uint64_t t_to, int max_lines, uint64_t mean_gap) {
  uint64_t t = t_from;
  int start = c->nev;
  c->bgflag = SY_BG;
  for (;;) {
    /* bursts: a quarter of the gaps are short (a deploy, a scan) */
    uint64_t gap = sy_chance(&c->r, 0.25) ? sy_exp(&c->r, mean_gap / 20 + 1) : sy_exp(&c->r, mean_gap);
    t += gap + 1000;
    if (t >= t_to || c->nev - start >= max_lines) break;
    sy_at(c, t);
    episode(c);
  }
  c->bgflag = 0;
  return t < t_to ? t : t_to;
}

void sy_background_line(sy_ctx *c, uint64_t t) {
  sy_at(c, t);
  c->bgflag = SY_BG;
  char st[64];
  switch (sy_below(&c->r, 4)) {
    case 0:
      if (c->h.containers) {
        char v[16], bb[24];
        hexid(c, v, 7);
        const char *br = bridge(c, bb);
        int port = (int)sy_range(&c->r, 1, 30);
        sy_out(c, SY_ROLE_N, "%s: port %d(veth%s) entered disabled state", br, port, v);
        break;
      }
      /* fall through */
    case 1:
      sy_audit_stamp(c, st, sizeof st);
      sy_out(c, SY_ROLE_N, "audit: type=1400 %s: apparmor=\"DENIED\" operation=\"open\" class=\"file\" profile=\"snap.lxd.daemon\" "
             "name=\"/proc/sys/kernel/osrelease\" pid=%d comm=\"lxd\" requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=0", st, sy_newpid(c));
      break;
    case 2:
      if (c->h.ngpu) {
        sy_out(c, SY_ROLE_N, "nvidia-modeset: WARNING: GPU:%d: Lost display notification (0:0x00000000); continuing.", (int)sy_below(&c->r, (uint32_t)c->h.ngpu));
        break;
      }
      /* fall through */
    default:
      sy_out(c, SY_ROLE_N, "kauditd_printk_skb: %d callbacks suppressed", (int)sy_logu(&c->r, 2, 60));
      break;
  }
  c->bgflag = 0;
}
