/* journalctl -o json: one object per line; MESSAGE may be a string, an array of bytes or null. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kprca/linereader.h"
#include "text/kernlog_int.h"

/* A field that journalctl writes as a decimal string (or, in some exports, a number). */
static bool num_field(const cJSON *o, const char *key, double *v) {
  const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, key);
  if (cJSON_IsNumber(f)) {
    *v = f->valuedouble;
    return true;
  }
  if (!cJSON_IsString(f) || !f->valuestring[0]) return false;
  char *end;
  double x = strtod(f->valuestring, &end);
  if (*end) return false;
  *v = x;
  return true;
}

static const char *str_field(const cJSON *o, const char *key) {
  const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(f) ? f->valuestring : NULL;
}

/* Puts s into the scratch with newlines turned into spaces (a record is one line). */
static const char *put_line(klog_scratch *sc, const char *s, size_t n, size_t *len) {
  char *d = klog_scratch_put(sc, s, n);
  if (!d) return NULL;
  for (size_t i = 0; i < n; i++)
    if (d[i] == '\n' || d[i] == '\r') d[i] = ' ';
  if (len) *len = n;
  return d;
}

/* MESSAGE as an array of byte values: decoded, then repaired to valid UTF-8. */
static const char *bytes_message(klog_scratch *sc, const cJSON *arr, size_t *len) {
  int n = cJSON_GetArraySize(arr);
  char *raw = malloc((size_t)n + 1), *clean = malloc(3 * (size_t)n + 1);
  const char *out = NULL;
  if (raw && clean) {
    int k = 0;
    bool ok = true;
    for (const cJSON *b = arr->child; b; b = b->next) {
      if (!cJSON_IsNumber(b) || b->valuedouble < 0 || b->valuedouble > 255) {
        ok = false;
        break;
      }
      raw[k++] = (char)(int)b->valuedouble;
    }
    if (ok) {
      size_t bad, m = kp_utf8_repair(raw, (size_t)k, clean, &bad);
      out = put_line(sc, clean, m, len);
    }
  }
  free(raw);
  free(clean);
  return out;
}

bool klog_parse_json(kp_klog_parser *p, const char *s, size_t n, kp_klog_record *rec) {
  const char *q = s;
  while (q < s + n && (*q == ' ' || *q == '\t')) q++;
  if (q >= s + n || *q != '{') return false;
  cJSON *o = cJSON_ParseWithLength(s, n);
  if (!o) return false;
  bool ok = false;
  if (cJSON_IsObject(o)) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "MESSAGE");
    size_t len = 0;
    const char *msg = NULL;
    if (cJSON_IsString(m)) msg = put_line(&p->s, m->valuestring, strlen(m->valuestring), &len);
    else if (cJSON_IsArray(m)) msg = bytes_message(&p->s, m, &len);
    if (msg) {
      ok = true;
      rec->msg = msg;
      rec->msg_len = len;
      double v;
      if (num_field(o, "__REALTIME_TIMESTAMP", &v)) rec->time = v * 1e-6;
      if (num_field(o, "_SOURCE_MONOTONIC_TIMESTAMP", &v) || num_field(o, "__MONOTONIC_TIMESTAMP", &v))
        rec->uptime = v * 1e-6;
      if (num_field(o, "PRIORITY", &v) && v >= 0 && v <= 7) rec->level = (int8_t)v;
      if (num_field(o, "SYSLOG_FACILITY", &v) && v >= 0 && v <= 23) rec->facility = (int8_t)v;
      if (num_field(o, "_PID", &v) && v >= 0 && v < 1 << 30) rec->pid = (int32_t)v;
      const char *host = str_field(o, "_HOSTNAME");
      const char *id = str_field(o, "SYSLOG_IDENTIFIER");
      const char *tr = str_field(o, "_TRANSPORT");
      if (!id && tr && strcmp(tr, "kernel") == 0) id = "kernel";
      if (!id) id = str_field(o, "_COMM");
      rec->host = host ? put_line(&p->s, host, strlen(host), NULL) : "";
      rec->ident = id ? put_line(&p->s, id, strlen(id), NULL) : "";
      if (!rec->host) rec->host = "";
      if (!rec->ident) rec->ident = "";
    }
  }
  cJSON_Delete(o);
  return ok;
}
