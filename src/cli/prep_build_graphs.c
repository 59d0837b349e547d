/* kprca-prep build --kind incident-graphs / case-graph (builders in src/graph/). */
#include <stdio.h>
#include "cli/prep_build.h"

int build_incident_graphs(const build_opts *o) { (void)o; return build_fail(1, "incident-graphs: not implemented yet"); }
int build_case_graph(const build_opts *o) { (void)o; return build_fail(1, "case-graph: not implemented yet"); }
