/* tw_json.h -- JSON responses as a tokenized, refcounted document.
 *
 * A tw_jdoc owns a copy of a response body and its jsmn tokens (with parent
 * links). Values are not decoded up front: callers find a key among an
 * object's direct children and decode only that value (tw_json_unescape,
 * tw_json_number). The Lua binding (ltw_record.c) shares one document among
 * all records of a page through the reference count.
 *
 * No lua.h here. Ownership:
 *   tw_jdoc_parse   returns a document with one reference, owned by the
 *                   caller; each holder calls tw_jdoc_retain/tw_jdoc_release;
 *                   the last release frees the body copy and the tokens.
 *   everything else borrows: pointers into the document live as long as it.
 *
 * Token indices are ints (jsmn's); the root value is token 0. Bodies larger
 * than TW_JSON_MAX_BODY are refused, so every offset fits an int. */
#ifndef TW_JSON_H
#define TW_JSON_H

#include <stddef.h>

#define TW_JSON_MAX_BODY  (256u * 1024u * 1024u)   /* 256 MiB */
#define TW_JSON_MAX_DEPTH 512                       /* nesting of [ and { */

/* Value types (jsmn's primitives split into what they are). */
enum tw_jtype {
  TW_JNONE = 0, TW_JOBJECT, TW_JARRAY, TW_JSTRING,
  TW_JNUMBER, TW_JTRUE, TW_JFALSE, TW_JNULL
};

typedef struct tw_jdoc tw_jdoc;

/* Why a parse failed: a message fit for an error object ("response is not
 * valid JSON at byte 12"), and the 0-based byte offset involved. */
typedef struct tw_jerr {
  char msg[160];
  size_t offset;
} tw_jerr;

/* Copies body[0..len), tokenizes and validates it (strict JSON: one value,
 * no trailing commas, valid literals and numbers, nesting at most
 * TW_JSON_MAX_DEPTH). A leading UTF-8 BOM is skipped. Returns NULL and fills
 * *err on invalid JSON, an empty body or out of memory (err->msg "out of
 * memory"). Raw control characters inside strings are accepted (lenient). */
tw_jdoc *tw_jdoc_parse(const char *body, size_t len, tw_jerr *err);
void tw_jdoc_retain(tw_jdoc *d);
void tw_jdoc_release(tw_jdoc *d);          /* NULL is a no-op */

int tw_jdoc_ntokens(const tw_jdoc *d);
/* Bytes of malloc'd memory the document holds (body copy + tokens), for
 * telling the Lua GC about it. */
size_t tw_jdoc_bytes(const tw_jdoc *d);
/* The body copy (NUL-terminated; the BOM, if any, removed). */
const char *tw_jdoc_text(const tw_jdoc *d, size_t *len);

/* Type of token tok (TW_JNONE when out of range). */
enum tw_jtype tw_json_type(const tw_jdoc *d, int tok);
/* Raw text of a token: for strings the bytes between the quotes (still
 * escaped), for the rest the whole value text ("{...}", "12.5", "true"). */
const char *tw_json_raw(const tw_jdoc *d, int tok, size_t *len);
/* Number of direct children: keys of an object, elements of an array. */
int tw_json_size(const tw_jdoc *d, int tok);

/* Direct children of an object (its key tokens; a key's value is key + 1) or
 * of an array (its elements), in order: first with prev = -1, then the
 * previous child. Returns -1 after the last one. */
int tw_json_next_child(const tw_jdoc *d, int parent, int prev);

/* Value token of `key` among the direct children of object obj, or -1. The
 * first occurrence wins (with a hint, a duplicated key may resolve to
 * another occurrence). Keys are compared after unescaping. hint: any
 * pointer that stays the same for the same key between calls (the Lua
 * binding passes the interned key string), or NULL; with it, records of one
 * page that share a layout find a key without scanning. The hint is only a
 * guess: every hit is verified against the text. */
int tw_json_find(tw_jdoc *d, int obj, const char *key, size_t klen,
                 const void *hint);

/* Unescapes a JSON string body in[0..n) (as tw_json_raw gives it) into out,
 * which must hold n bytes (unescaped text is never longer). \uXXXX becomes
 * UTF-8, surrogate pairs are combined, a lone or invalid surrogate (or a
 * truncated escape) becomes U+FFFD. Returns the bytes written. */
size_t tw_json_unescape(const char *in, size_t n, char *out);

/* 1 when in[0..n) holds a backslash (needs tw_json_unescape). */
int tw_json_has_escape(const char *in, size_t n);

/* Parses a JSON number in[0..n) independently of the C locale. Returns 1
 * and sets *i for an integer that fits 64 bits (no '.', 'e' or 'E'), 2 and
 * sets *d for any other valid number, 0 when the text is not a JSON number. */
int tw_json_number(const char *in, size_t n, long long *i, double *d);

/* ---- response shapes ------------------------------------------------- */

/* A list page: the root must be an object whose items_key is an array of
 * objects. Sets *items (the array token) and *next_uri (the string token of
 * a non-empty next_page_uri, else -1). Returns 0, or -1 with err->msg. */
int tw_json_page(tw_jdoc *d, const char *items_key, int *items, int *next_uri,
                 tw_jerr *err);

/* Tokens of a Twilio error body (-1 when absent): the Twilio form
 * {code, message, more_info, status, details} and RFC 9457
 * {type, title, status, code, detail, instance, errors}. Returns 0 when the
 * root is an object, -1 otherwise. */
typedef struct tw_jerror_fields {
  int code, message, more_info, status, details;
  int type, title, detail, instance, errors;
} tw_jerror_fields;
int tw_json_error_fields(tw_jdoc *d, tw_jerror_fields *f);

/* A message for an error response whose body is not a usable JSON object:
 * "HTTP 502 (non-JSON body: text/html): <html><head>..." or
 * "HTTP 500 (empty body)". why: NULL, or what was wrong with a JSON body.
 * The excerpt and content type are cut short and reduced to printable
 * ASCII. Writes at most outsz bytes (NUL-terminated); returns strlen(out). */
size_t tw_json_http_message(char *out, size_t outsz, long status,
                            const char *body, size_t len,
                            const char *content_type, const char *why);

#endif
