/* A Hugging Face model directory: vocab.txt, and tokenizer_config.json for the options
 * (do_lower_case, strip_accents, tokenize_chinese_chars, the special token strings). A missing
 * tokenizer_config.json means BertTokenizer's defaults. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "text/wordpiece_internal.h"

static kp_status read_all(const char *path, char **out, size_t *len) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return kp_fail(KP_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    if (n == cap) {
      char *q = realloc(buf, cap * 2);
      if (!q) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = q, cap *= 2;
    }
    size_t k = fread(buf + n, 1, cap - n, f);
    if (!k) break;
    n += k;
  }
  fclose(f);
  if (!buf) return kp_fail(KP_ERR_NOMEM, "%s: out of memory", path);
  *out = buf, *len = n;
  return KP_OK;
}

/* A bool key: absent leaves *v alone; anything but true/false is an error. */
static kp_status get_bool(const cJSON *root, const char *path, const char *key, bool *v) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, key);
  if (!j || cJSON_IsNull(j)) return KP_OK;
  if (!cJSON_IsBool(j)) return kp_fail(KP_ERR_FORMAT, "%s: \"%s\" must be true or false", path, key);
  *v = cJSON_IsTrue(j);
  return KP_OK;
}

/* A special token: a string, or an object with "content" (an AddedToken); absent leaves *v alone. */
static kp_status get_token(const cJSON *root, const char *path, const char *key, const char **v) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, key);
  if (!j || cJSON_IsNull(j)) return KP_OK;
  if (cJSON_IsObject(j)) j = cJSON_GetObjectItemCaseSensitive(j, "content");
  if (!cJSON_IsString(j)) return kp_fail(KP_ERR_FORMAT, "%s: \"%s\" must be a string", path, key);
  *v = j->valuestring;
  return KP_OK;
}

static kp_status parse_config(const char *path, const char *text, size_t len, kp_wordpiece_opts *o, cJSON **keep) {
  cJSON *root = cJSON_ParseWithLength(text, len);
  if (!root) {
    const char *e = cJSON_GetErrorPtr();
    long line = 1;
    if (e && e >= text && e <= text + len)
      for (const char *p = text; p < e; p++) line += *p == '\n';
    return kp_fail(KP_ERR_FORMAT, "%s:%ld: not valid JSON", path, line);
  }
  *keep = root;
  if (!cJSON_IsObject(root)) return kp_fail(KP_ERR_FORMAT, "%s: expected a JSON object", path);
  KP_TRY(get_bool(root, path, "do_lower_case", &o->lowercase));
  KP_TRY(get_bool(root, path, "tokenize_chinese_chars", &o->tokenize_chinese_chars));
  const cJSON *sa = cJSON_GetObjectItemCaseSensitive(root, "strip_accents");
  if (sa && !cJSON_IsNull(sa)) {
    if (!cJSON_IsBool(sa)) return kp_fail(KP_ERR_FORMAT, "%s: \"strip_accents\" must be true, false or null", path);
    o->strip_accents = cJSON_IsTrue(sa) ? KP_STRIP_ON : KP_STRIP_OFF;
  }
  KP_TRY(get_token(root, path, "unk_token", &o->unk));
  KP_TRY(get_token(root, path, "cls_token", &o->cls));
  KP_TRY(get_token(root, path, "sep_token", &o->sep));
  KP_TRY(get_token(root, path, "pad_token", &o->pad));
  KP_TRY(get_token(root, path, "mask_token", &o->mask));
  return KP_OK;
}

kp_status kp_wordpiece_load_dir(const char *dir, kp_wordpiece **out) {
  *out = NULL;
  size_t dl = strlen(dir);
  char *vpath = malloc(dl + 32), *cpath = malloc(dl + 32);
  if (!vpath || !cpath) {
    free(vpath), free(cpath);
    return kp_fail(KP_ERR_NOMEM, "%s: out of memory", dir);
  }
  snprintf(vpath, dl + 32, "%s/vocab.txt", dir);
  snprintf(cpath, dl + 32, "%s/tokenizer_config.json", dir);
  kp_wordpiece_opts o = kp_wordpiece_default_opts();
  char *text = NULL;
  size_t len = 0;
  cJSON *root = NULL;
  kp_status s = KP_OK;
  FILE *probe = fopen(cpath, "rb");
  if (probe) {
    fclose(probe);
    s = read_all(cpath, &text, &len);
    if (s == KP_OK) s = parse_config(cpath, text, len, &o, &root);
  }
  if (s == KP_OK) s = kp_wordpiece_load(vpath, &o, out); /* copies the token strings */
  cJSON_Delete(root);
  free(text), free(vpath), free(cpath);
  return s;
}
