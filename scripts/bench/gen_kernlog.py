#!/usr/bin/env python3
"""Writes a synthetic kern.log for the Drain benchmark: syslog lines
("Nov 14 13:30:08 host kernel: [ 1234.567890] message") drawn from ~90 real kernel message
formats with random parameters (addresses, PIDs, CPUs, devices, PCI ids, IPs, MACs, sizes, paths),
with a skewed (Zipf-like) mix of formats as in real logs. Reproducible from --seed."""
import argparse
import random

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
COMMS = ["systemd", "kworker/u16:2", "java", "python3", "nginx", "postgres", "containerd", "dockerd",
         "sshd", "bash", "stress", "nvidia-smi", "slurmd", "mpirun", "rsyslogd", "journald", "cron"]
FUNCS = ["__list_del_entry_valid", "mlx5_cmd_exec", "nvme_timeout", "ext4_find_entry", "xfs_trans_cancel",
         "dma_pool_alloc", "kmem_cache_alloc", "blk_mq_dispatch_rq_list", "tcp_v4_rcv", "do_sys_open",
         "nv_kthread_q_thread", "schedule_timeout", "__alloc_pages_slowpath", "rcu_gp_kthread"]


def hexs(r, n):
    return "".join(r.choice("0123456789abcdef") for _ in range(n))


def pci(r):
    return "0000:%02x:%02x.%d" % (r.randrange(256), r.randrange(32), r.randrange(8))


def disk(r):
    if r.random() < 0.5:
        return "sd" + r.choice("abcdefgh") + (str(r.randrange(1, 9)) if r.random() < 0.5 else "")
    return "nvme%dn1" % r.randrange(8) + ("p%d" % r.randrange(1, 5) if r.random() < 0.5 else "")


def ip(r):
    return "10.%d.%d.%d" % (r.randrange(256), r.randrange(256), r.randrange(1, 255))


def mac(r):
    return ":".join(hexs(r, 2) for _ in range(6))


def nic(r):
    return r.choice(["eth%d" % r.randrange(4), "enp%ds0f%d" % (r.randrange(1, 200), r.randrange(2)),
                     "ens%df0np0" % r.randrange(1, 8), "ib%d" % r.randrange(4)])


def addr(r):
    return "ffff" + hexs(r, 12)


def path(r):
    return r.choice(["/usr/bin/", "/usr/lib/systemd/", "/opt/app/bin/", "/var/lib/docker/", "/home/user/"]) + \
        r.choice(COMMS).split("/")[0]


# (weight, format): each lambda gets the random generator and returns the message.
T = [
    (40, lambda r: "audit: type=1400 audit(%d.%03d:%d): apparmor=\"DENIED\" operation=\"open\" profile=\"%s\" name=\"%s\" pid=%d comm=\"%s\" requested_mask=\"r\" denied_mask=\"r\" fsuid=%d ouid=0"
     % (r.randrange(1600000000, 1700000000), r.randrange(1000), r.randrange(100000), r.choice(COMMS), path(r), r.randrange(1, 99999), r.choice(COMMS), r.randrange(2000))),
    (30, lambda r: "IPv4: martian source %s from %s, on dev %s" % (ip(r), ip(r), nic(r))),
    (25, lambda r: "[UFW BLOCK] IN=%s OUT= MAC=%s SRC=%s DST=%s LEN=%d TOS=0x00 PREC=0x00 TTL=%d ID=%d PROTO=TCP SPT=%d DPT=%d WINDOW=%d RES=0x00 SYN URGP=0"
     % (nic(r), mac(r), ip(r), ip(r), r.randrange(40, 1500), r.randrange(32, 128), r.randrange(65536), r.randrange(1024, 65536), r.choice([22, 80, 443, 3306, 8080]), r.randrange(65536))),
    (20, lambda r: "%s: renamed from eth%d" % (nic(r), r.randrange(4))),
    (20, lambda r: "%s: Link is Up - %dGbps/Full - flow control off" % (nic(r), r.choice([1, 10, 25, 100]))),
    (20, lambda r: "%s: Link is Down" % nic(r)),
    (18, lambda r: "mlx5_core %s %s: Link up" % (pci(r), nic(r))),
    (18, lambda r: "mlx5_core %s %s: Link down" % (pci(r), nic(r))),
    (15, lambda r: "IPv6: ADDRCONF(NETDEV_CHANGE): %s: link becomes ready" % nic(r)),
    (15, lambda r: "device %s entered promiscuous mode" % ("veth" + hexs(r, 7))),
    (15, lambda r: "docker0: port %d(veth%s) entered %s state" % (r.randrange(1, 30), hexs(r, 7), r.choice(["blocking", "disabled", "forwarding"]))),
    (12, lambda r: "usb %d-%d: new high-speed USB device number %d using xhci_hcd" % (r.randrange(1, 4), r.randrange(1, 9), r.randrange(2, 60))),
    (12, lambda r: "usb %d-%d: USB disconnect, device number %d" % (r.randrange(1, 4), r.randrange(1, 9), r.randrange(2, 60))),
    (10, lambda r: "usb %d-%d: New USB device found, idVendor=%s, idProduct=%s, bcdDevice= %d.%02d" % (r.randrange(1, 4), r.randrange(1, 9), hexs(r, 4), hexs(r, 4), r.randrange(10), r.randrange(100))),
    (12, lambda r: "EXT4-fs (%s): mounted filesystem with ordered data mode. Opts: (null)" % disk(r)),
    (10, lambda r: "EXT4-fs (%s): re-mounted. Opts: errors=remount-ro" % disk(r)),
    (8, lambda r: "XFS (%s): Mounting V5 Filesystem" % disk(r)),
    (8, lambda r: "XFS (%s): Ending clean mount" % disk(r)),
    (10, lambda r: "sd %d:0:%d:0: [%s] %d 512-byte logical blocks: (%d GB/%d GiB)" % (r.randrange(8), r.randrange(8), disk(r), r.randrange(10**8, 10**10), r.randrange(100, 8000), r.randrange(100, 8000))),
    (8, lambda r: "sd %d:0:%d:0: [%s] Attached SCSI disk" % (r.randrange(8), r.randrange(8), disk(r))),
    (10, lambda r: "nvme nvme%d: pci function %s" % (r.randrange(8), pci(r))),
    (8, lambda r: "nvme nvme%d: %d/%d/%d default/read/poll queues" % (r.randrange(8), r.randrange(1, 128), 0, 0)),
    (10, lambda r: "perf: interrupt took too long (%d > %d), lowering kernel.perf_event_max_sample_rate to %d" % (r.randrange(2500, 9000), r.randrange(2500, 9000), r.randrange(10000, 80000))),
    (10, lambda r: "TCP: request_sock_TCP: Possible SYN flooding on port %d. Sending cookies.  Check SNMP counters." % r.choice([80, 443, 8080, 6443])),
    (10, lambda r: "nf_conntrack: nf_conntrack: table full, dropping packet"),
    (9, lambda r: "cgroup: fork rejected by pids controller in /kubepods/burstable/pod%s-%s" % (hexs(r, 8), hexs(r, 4))),
    (9, lambda r: "systemd[1]: Started Session %d of user %s." % (r.randrange(1, 9999), r.choice(["root", "alice", "bob", "slurm"]))),
    (8, lambda r: "systemd[1]: %s.service: Succeeded." % r.choice(["apt-daily", "logrotate", "man-db", "fstrim", "motd-news"])),
    (8, lambda r: "%s[%d]: segfault at %s ip %s sp %s error %d in %s[%s+%x]" % (r.choice(COMMS), r.randrange(1, 99999), hexs(r, 12), "0000" + hexs(r, 12), "0000" + hexs(r, 12), r.choice([4, 6, 14]), r.choice(["libc.so.6", "libpthread.so.0", "python3.10"]), hexs(r, 12), r.randrange(1 << 20))),
    (6, lambda r: "INFO: task %s:%d blocked for more than %d seconds." % (r.choice(["jbd2/" + disk(r) + "-8", "kworker/%d:%d" % (r.randrange(64), r.randrange(4)), r.choice(COMMS)]), r.randrange(1, 99999), r.choice([120, 241, 362, 483]))),
    (6, lambda r: "      Tainted: %s %d.%d.%d-%d-generic #%d-Ubuntu" % (r.choice(["G           OE", "P           OE", "G        W"]), 5, r.choice([4, 15, 19]), 0, r.randrange(1, 120), r.randrange(1, 130))),
    (6, lambda r: "\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message."),
    (6, lambda r: "task:%-15s state:D stack:    0 pid:%5d ppid:%5d flags:0x%08x" % (r.choice(COMMS), r.randrange(1, 99999), r.randrange(1, 9999), r.randrange(1 << 16))),
    (12, lambda r: "Call Trace:"),
    (12, lambda r: " <TASK>"),
    (12, lambda r: " </TASK>"),
    (40, lambda r: " %s+0x%x/0x%x" % (r.choice(FUNCS), r.randrange(1, 0x400), r.randrange(0x400, 0x1000))),
    (8, lambda r: " ? %s+0x%x/0x%x [%s]" % (r.choice(FUNCS), r.randrange(1, 0x400), r.randrange(0x400, 0x1000), r.choice(["mlx5_core", "nvidia", "nvme", "ext4", "xfs"]))),
    (6, lambda r: "RIP: 0010:%s+0x%x/0x%x" % (r.choice(FUNCS), r.randrange(1, 0x400), r.randrange(0x400, 0x1000))),
    (6, lambda r: "RSP: 0018:%s EFLAGS: %08x" % (addr(r), r.randrange(1 << 20))),
    (6, lambda r: "RAX: %s RBX: %s RCX: %s" % (hexs(r, 16), hexs(r, 16), hexs(r, 16))),
    (6, lambda r: "CPU: %d PID: %d Comm: %s Tainted: G           OE     %d.%d.0-%d-generic #%d" % (r.randrange(128), r.randrange(1, 99999), r.choice(COMMS), 5, 15, r.randrange(1, 120), r.randrange(1, 130))),
    (6, lambda r: "Hardware name: %s, BIOS %s %02d/%02d/20%02d" % (r.choice(["Dell Inc. PowerEdge R750", "Supermicro SYS-4029GP-TRT", "NVIDIA DGX A100"]), r.choice(["1.6.5", "2.1", "3.4a"]), r.randrange(1, 13), r.randrange(1, 29), r.randrange(18, 24))),
    (5, lambda r: "watchdog: BUG: soft lockup - CPU#%d stuck for %ds! [%s:%d]" % (r.randrange(128), r.randrange(22, 90), r.choice(COMMS), r.randrange(1, 99999))),
    (4, lambda r: "rcu: INFO: rcu_sched detected stalls on CPUs/tasks:"),
    (4, lambda r: "rcu: \t%d-...!: (%d GPs behind) idle=%s/0/0x1 softirq=%d/%d fqs=%d" % (r.randrange(128), r.randrange(1, 20), hexs(r, 3), r.randrange(10**6), r.randrange(10**6), r.randrange(1000))),
    (4, lambda r: "%s invoked oom-killer: gfp_mask=0x%x(GFP_HIGHUSER_MOVABLE|__GFP_ZERO), order=0, oom_score_adj=%d" % (r.choice(COMMS), r.randrange(1 << 24), r.choice([0, -1000, 1000, 300]))),
    (4, lambda r: "Out of memory: Killed process %d (%s) total-vm:%dkB, anon-rss:%dkB, file-rss:%dkB, shmem-rss:%dkB, UID:%d pgtables:%dkB oom_score_adj:%d" % (r.randrange(1, 99999), r.choice(COMMS), r.randrange(10**5, 10**8), r.randrange(10**5, 10**8), r.randrange(10**4), r.randrange(10**4), r.randrange(2000), r.randrange(100, 10**5), r.choice([0, 300, 1000]))),
    (4, lambda r: "oom_reaper: reaped process %d (%s), now anon-rss:%dkB, file-rss:%dkB, shmem-rss:%dkB" % (r.randrange(1, 99999), r.choice(COMMS), r.randrange(100), r.randrange(100), r.randrange(100))),
    (4, lambda r: "Memory cgroup out of memory: Killed process %d (%s) total-vm:%dkB, anon-rss:%dkB, file-rss:%dkB, shmem-rss:0kB, UID:%d pgtables:%dkB oom_score_adj:%d" % (r.randrange(1, 99999), r.choice(COMMS), r.randrange(10**5, 10**8), r.randrange(10**5, 10**8), r.randrange(10**4), r.randrange(2000), r.randrange(100, 10**5), r.choice([0, 1000]))),
    (3, lambda r: "BUG: unable to handle page fault for address: %s" % addr(r)),
    (3, lambda r: "BUG: kernel NULL pointer dereference, address: %016x" % r.randrange(0x1000)),
    (3, lambda r: "#PF: supervisor %s access in kernel mode" % r.choice(["read", "write", "instruction fetch"])),
    (3, lambda r: "general protection fault, probably for non-canonical address 0x%s: 0000 [#1] SMP NOPTI" % hexs(r, 16)),
    (3, lambda r: "BUG: KASAN: use-after-free in %s+0x%x/0x%x" % (r.choice(FUNCS), r.randrange(1, 0x400), r.randrange(0x400, 0x1000))),
    (3, lambda r: "Read of size %d at addr %s by task %s/%d" % (r.choice([1, 2, 4, 8]), addr(r), r.choice(COMMS), r.randrange(1, 99999))),
    (5, lambda r: "NVRM: Xid (PCI:%s): %d, pid=%d, name=%s, %s" % (pci(r)[:-2], r.choice([13, 31, 43, 45, 48, 63, 64, 74, 79, 94, 95]), r.randrange(1, 99999), r.choice(COMMS), r.choice(["Ch 00000008", "GPU has fallen off the bus.", "An uncorrectable double bit error (DBE) has been detected on GPU in the framebuffer at partition 0, subpartition 0.", "Graphics Exception: ESR 0x%x=0x%x" % (r.randrange(1 << 24), r.randrange(1 << 16))]))),
    (3, lambda r: "NVRM: GPU at PCI:%s: GPU-%s-%s-%s-%s-%s" % (pci(r), hexs(r, 8), hexs(r, 4), hexs(r, 4), hexs(r, 4), hexs(r, 12))),
    (3, lambda r: "mce: [Hardware Error]: Machine check events logged"),
    (3, lambda r: "mce: [Hardware Error]: CPU %d: Machine Check: 0 Bank %d: %s" % (r.randrange(128), r.randrange(32), hexs(r, 16))),
    (3, lambda r: "EDAC MC%d: %d CE memory read error on CPU_SrcID#%d_Ha#0_Chan#%d_DIMM#%d (channel:%d slot:%d page:0x%x offset:0x%x grain:32 syndrome:0x0 -  area:DRAM err_code:0001:0090 socket:%d ha:0 channel_mask:%d rank:%d)"
     % (r.randrange(4), r.randrange(1, 5), r.randrange(2), r.randrange(4), r.randrange(2), r.randrange(4), r.randrange(2), r.randrange(1 << 24), r.randrange(4096), r.randrange(2), r.randrange(16), r.randrange(4))),
    (4, lambda r: "blk_update_request: I/O error, dev %s, sector %d op 0x%d:(%s) flags 0x%x phys_seg %d prio class 0" % (disk(r), r.randrange(10**9), r.randrange(2), r.choice(["READ", "WRITE"]), r.randrange(1 << 16), r.randrange(1, 64))),
    (4, lambda r: "nvme nvme%d: I/O %d QID %d timeout, aborting" % (r.randrange(8), r.randrange(1024), r.randrange(1, 64))),
    (3, lambda r: "nvme nvme%d: Abort status: 0x%x" % (r.randrange(8), r.randrange(16))),
    (3, lambda r: "sd %d:0:%d:0: [%s] tag#%d FAILED Result: hostbyte=DID_OK driverbyte=DRIVER_SENSE cmd_age=%ds" % (r.randrange(8), r.randrange(8), disk(r), r.randrange(512), r.randrange(1, 60))),
    (3, lambda r: "EXT4-fs error (device %s): ext4_find_entry:%d: inode #%d: comm %s: reading directory lblock %d" % (disk(r), r.randrange(1000, 2000), r.randrange(10**7), r.choice(COMMS), r.randrange(100))),
    (3, lambda r: "XFS (%s): Metadata corruption detected at xfs_buf_ioend+0x%x/0x%x [xfs], xfs_inode block 0x%x xfs_inode_buf_verify" % (disk(r), r.randrange(0x400), r.randrange(0x400, 0x1000), r.randrange(1 << 30))),
    (4, lambda r: "nfs: server %s not responding, still trying" % r.choice(["nfs01", "storage.example.com", ip(r)])),
    (4, lambda r: "nfs: server %s OK" % r.choice(["nfs01", "storage.example.com", ip(r)])),
    (3, lambda r: "mlx5_core %s: mlx5_cmd_out_err:%d:(pid %d): %s(0x%x) op_mod(0x%x) failed, status bad parameter(0x3), syndrome (0x%s), err(-22)" % (pci(r), r.randrange(700, 900), r.randrange(1, 99999), r.choice(["CREATE_MKEY", "QUERY_VPORT_STATE", "MODIFY_QP"]), r.randrange(0x1000), r.randrange(4), hexs(r, 6))),
    (3, lambda r: "ixgbe %s %s: Detected Tx Unit Hang" % (pci(r), nic(r))),
    (3, lambda r: "NETDEV WATCHDOG: %s (%s): transmit queue %d timed out %d ms" % (nic(r), r.choice(["mlx5_core", "ixgbe", "i40e", "bnxt_en"]), r.randrange(64), r.randrange(5000, 20000))),
    (3, lambda r: "------------[ cut here ]------------"),
    (3, lambda r: "WARNING: CPU: %d PID: %d at %s:%d %s+0x%x/0x%x" % (r.randrange(128), r.randrange(1, 99999), r.choice(["mm/page_alloc.c", "fs/ext4/inode.c", "net/core/dev.c", "kernel/workqueue.c"]), r.randrange(100, 6000), r.choice(FUNCS), r.randrange(0x400), r.randrange(0x400, 0x1000))),
    (3, lambda r: "---[ end trace %s ]---" % hexs(r, 16)),
    (3, lambda r: "kernel BUG at %s:%d!" % (r.choice(["mm/slub.c", "fs/buffer.c", "lib/list_debug.c"]), r.randrange(100, 5000))),
    (2, lambda r: "Kernel panic - not syncing: %s" % r.choice(["Fatal exception", "hung_task: blocked tasks", "softlockup: hung tasks", "Out of memory and no killable processes...", "Fatal exception in interrupt"])),
    (6, lambda r: "pci %s: [%s:%s] type %02x class 0x%06x" % (pci(r), hexs(r, 4), hexs(r, 4), r.randrange(2), r.randrange(1 << 24))),
    (6, lambda r: "pci %s: reg 0x%x: [mem 0x%s-0x%s 64bit pref]" % (pci(r), r.randrange(0x10, 0x30), hexs(r, 8), hexs(r, 8))),
    (5, lambda r: "smpboot: CPU %d is now offline" % r.randrange(128)),
    (5, lambda r: "smpboot: Booting Node %d Processor %d APIC 0x%x" % (r.randrange(2), r.randrange(128), r.randrange(256))),
    (4, lambda r: "BIOS-e820: [mem 0x%s-0x%s] %s" % (hexs(r, 16), hexs(r, 16), r.choice(["usable", "reserved", "ACPI data", "ACPI NVS"]))),
    (4, lambda r: "ACPI: %s 0x%s %06X (v%02d %s)" % (r.choice(["DSDT", "FACP", "APIC", "MCFG", "SRAT", "SLIT"]), hexs(r, 16), r.randrange(1 << 20), r.randrange(7), r.choice(["DELL  ", "INTEL ", "ALASKA"]))),
    (4, lambda r: "Memory: %dK/%dK available (%dK kernel code, %dK rwdata, %dK rodata, %dK init, %dK bss, %dK reserved, 0K cma-reserved)" % tuple(r.randrange(1000, 10**8) for _ in range(8))),
    (4, lambda r: "Linux version %d.%d.0-%d-generic (buildd@lcy02-amd64-%03d) (gcc (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0, GNU ld (GNU Binutils for Ubuntu) 2.38) #%d-Ubuntu SMP %s" % (5, 15, r.randrange(1, 120), r.randrange(100), r.randrange(1, 130), "Tue Nov 14 13:30:08 UTC 2023")),
    (4, lambda r: "random: crng init done"),
    (4, lambda r: "clocksource: Switched to clocksource %s" % r.choice(["tsc", "hpet", "acpi_pm"])),
    (4, lambda r: "Adding %dk swap on %s.  Priority:-2 extents:1 across:%dk SSFS" % (r.randrange(10**5, 10**8), "/dev/" + disk(r), r.randrange(10**5, 10**8))),
    (3, lambda r: "Bluetooth: hci%d: command 0x%04x tx timeout" % (r.randrange(2), r.randrange(1 << 16))),
    (3, lambda r: "bond%d: (slave %s): link status definitely %s, disabling slave" % (r.randrange(2), nic(r), r.choice(["down", "up"]))),
    (3, lambda r: "br0: port %d(%s) entered %s state" % (r.randrange(1, 9), nic(r), r.choice(["forwarding", "disabled", "learning"]))),
    (3, lambda r: "wlp2s0: authenticate with %s" % mac(r)),
    (3, lambda r: "IPv6: %s: IPv6 duplicate address fe80::%s:%s:%s:%s used by %s detected!" % (nic(r), hexs(r, 4), hexs(r, 4), hexs(r, 4), hexs(r, 4), mac(r))),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lines", type=int, default=1000000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    r = random.Random(a.seed)
    weights = [w for w, _ in T]
    fmts = [f for _, f in T]
    hosts = ["node-%03d" % i for i in range(1, 9)]
    up = 0.0
    epoch = 1700000000
    with open(a.out, "w") as out:
        for f in r.choices(fmts, weights=weights, k=a.lines):
            up += r.expovariate(1 / 0.05)
            t = epoch + int(up)
            mon = MONTHS[(t // (30 * 86400)) % 12]
            day = 1 + (t // 86400) % 28
            hms = "%02d:%02d:%02d" % ((t // 3600) % 24, (t // 60) % 60, t % 60)
            out.write("%s %2d %s %s kernel: [%12.6f] %s\n" % (mon, day, hms, r.choice(hosts), up, f(r)))


if __name__ == "__main__":
    main()
