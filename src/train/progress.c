/* Progress of a training run: a bar redrawn with \r on a terminal, plain lines otherwise. */
#include "kprca/progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

kp_progress_mode kp_progress_mode_for(const char *setting, FILE *out) {
  if (!out || !strcmp(setting, "none")) return KP_PROGRESS_NONE;
  if (!strcmp(setting, "bar")) return KP_PROGRESS_BAR;
  if (!strcmp(setting, "lines")) return KP_PROGRESS_LINES;
  return isatty(fileno(out)) ? KP_PROGRESS_BAR : KP_PROGRESS_LINES;
}

void kp_progress_init(kp_progress *p, kp_progress_mode mode, FILE *out, int log_every, const char *monitor) {
  memset(p, 0, sizeof *p);
  p->mode = out ? mode : KP_PROGRESS_NONE;
  p->out = out;
  p->log_every = log_every > 0 ? log_every : 1;
  p->monitor = monitor ? monitor : "val_loss";
  p->first_epoch = 1;
}

/* "1m23s" or "4.2s". */
static const char *fmt_time(double s, char *buf, size_t n) {
  if (s < 60)
    snprintf(buf, n, "%.1fs", s);
  else if (s < 3600)
    snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
  else
    snprintf(buf, n, "%dh%02dm", (int)(s / 3600), ((int)s % 3600) / 60);
  return buf;
}

static double monitor_of(const kp_progress *p, const kp_epoch_log *e) {
  if (!strcmp(p->monitor, "val_acc")) return e->val_accuracy;
  if (!strcmp(p->monitor, "val_macro_f1")) return e->val_macro_f1;
  return e->val_loss;
}

void kp_progress_epoch(kp_progress *p, const kp_epoch_log *e) {
  if (p->mode == KP_PROGRESS_NONE) return;
  p->elapsed += e->time_s;
  int done = e->epoch - p->first_epoch + 1, left = e->epochs - e->epoch;
  double eta = done > 0 ? p->elapsed / done * left : 0.0;
  char val[96] = "", eta_s[16];
  if (e->evaluated)
    snprintf(val, sizeof val, "  val_loss %.4f  val_acc %.4f  val_macro_f1 %.4f%s", e->val_loss, e->val_accuracy,
             e->val_macro_f1, e->improved ? " *" : "");
  if (p->mode == KP_PROGRESS_LINES) {
    if (e->epoch % p->log_every && e->epoch != e->epochs && e->epoch != p->first_epoch) return;
    fprintf(p->out, "epoch %d/%d  step %lld  lr %.3g  loss %.4f%s  %.0f items/s  %.3fs\n", e->epoch, e->epochs,
            (long long)e->step, e->lr, e->train_loss, val, e->items_per_s, e->time_s);
    fflush(p->out);
    return;
  }
  int width = 24, fill = e->epochs > 0 ? (int)((double)width * e->epoch / e->epochs) : width;
  char bar[32];
  for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
  bar[width] = 0;
  char mon[48] = "";
  if (e->evaluated) snprintf(mon, sizeof mon, "  %s %.4f", p->monitor, monitor_of(p, e));
  fprintf(p->out, "\r[%s] epoch %d/%d  loss %.4f%s  %.0f items/s  ETA %s\033[K", bar, e->epoch, e->epochs,
          e->train_loss, mon, e->items_per_s, fmt_time(eta, eta_s, sizeof eta_s));
  fflush(p->out);
  p->bar_open = true;
}

void kp_progress_note(kp_progress *p, const char *msg) {
  if (p->mode == KP_PROGRESS_NONE) return;
  kp_progress_end(p);
  fprintf(p->out, "%s\n", msg);
  fflush(p->out);
}

void kp_progress_end(kp_progress *p) {
  if (p->bar_open) fputc('\n', p->out);
  p->bar_open = false;
}
