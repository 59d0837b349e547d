/* The default masking rules for kernel logs. Compiled without Unicode properties, so \w \d \b are
 * ASCII. Each rule starts at a word start or after punctuation and never spans whitespace.
 * mask_scan.c matches the same rules by hand: a change here needs the same change there (the
 * tests compare both). */
#include <string.h>
#include "kprca/mask.h"

typedef struct rule {
  const char *name, *pattern, *example;
} rule;

#define HX "[0-9a-fA-F]"
/* Order matters: at each position the first rule that matches wins. */
static const rule RULES[] = {
    {"uuid", "\\b" HX "{8}-" HX "{4}-" HX "{4}-" HX "{4}-" HX "{12}\\b",
     "UUID=3f1c2a9e-8b7d-4c6e-9f00-1234567890ab -> UUID=<*>"},
    {"mac", "\\b" HX "{2}(?:(?::" HX "{2}){5}|(?:-" HX "{2}){5})(?![\\w:])",
     "authenticate with 00:1b:21:3a:4b:5c -> authenticate with <*>"},
    {"ipv6",
     "(?<![\\w:])(?:" HX "{1,4}(?::" HX "{1,4}){7}|(?:" HX "{1,4}(?::" HX "{1,4}){0,6})?::(?:" HX "{1,4}(?::" HX
     "{1,4}){0,6})?)(?::(?:\\d{1,3}\\.){3}\\d{1,3})?(?:%\\w+)?(?:/\\d{1,3})?(?!\\w|\\.\\d|:[\\w:])",
     "duplicate address fe80::1c2b:3aff:fe4d:5e6f -> duplicate address <*>"},
    {"pci",
     "\\b(?:" HX "{4}:" HX "{2}:" HX "{2}(?:\\." "[0-7])?|" HX "{2}:" HX "{2}\\.[0-7])\\b|(?<![\\w:])" HX "{4}:" HX
     "{4}(?![\\w:])",
     "mlx5_core 0000:3b:00.0: firmware version [15b3:1017] -> mlx5_core <*>: firmware version [<*>]"},
    {"ipv4", "(?<![\\w.])(?:\\d{1,3}\\.){3}\\d{1,3}(?::\\d{1,5})?(?:/\\d{1,2})?(?!\\w|\\.\\d)",
     "nfs: server 10.0.0.5 not responding -> nfs: server <*> not responding"},
    {"scsi", "\\b\\d+:\\d+:\\d+:\\d+\\b", "sd 0:0:0:0: [sda] Attached -> sd <*>: [<*>] Attached"},
    {"time", "\\b\\d{1,2}:\\d{2}:\\d{2}(?:[.,]\\d+)?\\b", "Tue Nov 14 13:30:08 UTC 2023 -> Tue Nov <*> <*> UTC <*>"},
    {"hex", "\\b0[xX]" HX "+\\b", "RIP: 0010:__list_del_entry_valid+0x5c/0x90 -> RIP: <*>:__list_del_entry_valid+<*>/<*>"},
    {"quantity",
     "(?<![\\w.])[-+]?\\d+(?:\\.\\d+)?(?:bytes?|[MG]b/s|GT/s|[MG]bps|[kMG]?Hz|(?:[kKMGTPE]i?)?[bB]|"
     "[kKMGTPE]|[nu\xc2\xb5m]?s|secs?|mins?|%|C)(?!\\w)",
     "soft lockup - CPU#5 stuck for 22s! -> soft lockup - CPU#<*> stuck for <*>!"},
    {"number", "(?<![\\w.])[-+]?\\d+(?:\\.\\d+)*(?!\\w|\\.\\w)",
     "blocked for more than 120 seconds. -> blocked for more than <*> seconds."},
    {"hexid", "\\b(?=[a-fA-F]*\\d)" HX "{8,}\\b", "address: ffff8881234abcd0 -> address: <*>"},
    {"disk",
     "\\b(?:sd(?!io\\b)[a-z]{1,2}|x?vd[a-z]|nvme\\d+(?:c\\d+)?n\\d+|nvme\\d+|mmcblk\\d+|md(?!5\\b)\\d+|dm-\\d+|"
     "loop\\d+|nbd\\d+|sr\\d+|zram\\d+|rbd\\d+)(?:p?\\d+)?\\b",
     "EXT4-fs (nvme0n1p2): mounted filesystem -> EXT4-fs (<*>): mounted filesystem"},
    {"netdev",
     "\\b(?:eth\\d+|en[ospx][0-9a-z]*\\d[0-9a-z]*|wl[ospx][0-9a-z]*\\d[0-9a-z]*|wlan\\d+|ib\\d+|bond\\d+|br\\d+|"
     "veth(?=[0-9a-f]*\\d)[0-9a-f]+|docker\\d+|virbr\\d+|vlan\\d+|tun\\d+|tap\\d+)(?:\\.\\d+)?\\b",
     "ixgbe 0000:5e:00.1 enp94s0f1: NIC Link is Down -> ixgbe <*> <*>: NIC Link is Down"},
    {"path", "(?<![\\w.~/<-])(?:/[\\w@+~-](?:[\\w.@+~:-]*[\\w@+~-])?)+/?",
     "Comm: /usr/lib/systemd/systemd -> Comm: <*>"},
};
#undef HX

size_t kp_mask_default_count(void) { return sizeof RULES / sizeof RULES[0]; }
const char *kp_mask_default_name(size_t i) { return i < kp_mask_default_count() ? RULES[i].name : NULL; }
const char *kp_mask_default_pattern(size_t i) { return i < kp_mask_default_count() ? RULES[i].pattern : NULL; }
const char *kp_mask_default_example(size_t i) { return i < kp_mask_default_count() ? RULES[i].example : NULL; }
