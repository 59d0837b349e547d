/* What the incident-graph builder (incident_graph.c) and the featuriser of new incidents
 * (incident_featurize.c) share: the window lines of one incident, the message each line becomes
 * before template mining, and the assembly of nodes, features and edges. Not a public header. */
#ifndef KPRCA_GRAPH_INCIDENT_GRAPH_INTERNAL_H
#define KPRCA_GRAPH_INCIDENT_GRAPH_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kprca/incident_graph.h"
#include "kprca/incident_window.h"

/* One window line. */
typedef struct ig_line {
  int32_t cluster; /* the builders' key (message, Drain cluster), then the template index */
  float rel;       /* seconds relative to the panic line */
  int8_t level;    /* syslog severity, -1 unknown */
  uint8_t head, cont, root;
} ig_line;

/* Window lines of several incidents. */
typedef struct ig_lines {
  ig_line *l;
  int64_t n, cap;
  int64_t *off; /* [G+1] incident i owns lines off[i] .. off[i+1]-1 */
} ig_lines;

/* Appends w. */
kp_status ig_push(ig_lines *m, ig_line w);

/* Called for each window line of an incident, in order: r is its record, w its line (cluster 0). */
typedef kp_status (*ig_line_fn)(void *ctx, const kp_klog_record *r, ig_line w);
/* The lines of l that graphs are made of: every event line with text inside the window of window_s
 * seconds before the reference line (kp_incident_times), or the last event line when none is. */
kp_status ig_window_lines(const kp_incident_log *l, const kp_incident_times *t, double window_s, ig_line_fn fn,
                          void *ctx);

/* The message of a line that Drain sees: the builders' masks (kp_build_masker_new) applied, then runs of
 * "<*>" joined into one. *buf (capacity *cap, grown as needed) receives it NUL-terminated, *n its length. */
kp_status ig_message(kp_masker *mask, const char *msg, size_t len, char **buf, size_t *cap, size_t *n);

/* The builders' masking passes (KP_HEX_BYTES_MASK, then the default masks' patterns), as kept with the Drain
 * state: a malloc'd array of *n static strings, NULL when out of memory. */
const char **ig_masks(size_t *n);

/* Nodes, features and edges of the G graphs in m (line.cluster = template index in [0, T)); rows [T, F]
 * are the templates' text features. Fills ig->g's graph_ptr, x, node_flag, CSR, edge_weight, num_* and
 * ig->node_template. */
kp_status ig_assemble(const ig_lines *m, int64_t G, int32_t F, int32_t T, const float *rows, kp_incident_graphs *ig);

#endif
