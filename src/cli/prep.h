/* kprca-prep's subcommands: each is a main() of its own over argv after the subcommand. */
#ifndef KPRCA_CLI_PREP_H
#define KPRCA_CLI_PREP_H

/** kprca-prep parse: mine templates with Drain, write loghub structured/template CSVs. */
int prep_parse_main(int argc, char **argv);
/** kprca-prep synth: generate the synthetic kernel-panic corpus as an incident directory. */
int prep_synth_main(int argc, char **argv);
/** kprca-prep build: build HDF5 datasets (lines, incident graphs, case graph). */
int prep_build_main(int argc, char **argv);

#endif
