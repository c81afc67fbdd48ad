/* tw_json.h -- JSON responses as a validated, refcounted document.
 *
 * A tw_jdoc holds a response body, its own copy (tw_jdoc_parse) or the
 * caller's bytes, borrowed (tw_jdoc_borrow: the Lua binding borrows the
 * Lua string), validated once by a single-pass strict scanner. No token array is built: a value is named by the byte
 * offset of its first character in the body copy (an int; -1 = none), its
 * type is that character, and its end is found by a fast structural skip
 * (the text is known to be valid). While validating, the scanner records
 * what a list page needs: the root's items array (per element its span and
 * a key index: 4 bytes per member, the key's and the value's offsets in
 * the element) and the root's next_page_uri; for a single record (no
 * items key), the root object and its key index. Values are decoded only
 * when read (tw_json_unescape, tw_json_number). The Lua binding
 * (ltw_record.c) shares one document among all records of a page through
 * the reference count.
 *
 * No lua.h here. Ownership:
 *   tw_jdoc_parse,  return a document with one reference, owned by the
 *   tw_jdoc_borrow  caller; each holder calls tw_jdoc_retain/tw_jdoc_release;
 *                   the last release frees the body copy (if any), the item
 *                   spans and every key index built for it. A borrowed body
 *                   stays the caller's: it must outlive the document.
 *   everything else borrows: pointers into the document (text, spans,
 *   indexes) live as long as it.
 *
 * Offsets are ints; bodies larger than TW_JSON_MAX_BODY are refused, so
 * every offset fits. Functions that take a value offset expect one this
 * document gave out (tw_jdoc_root, spans, tw_json_next, lookups). */
#ifndef TW_JSON_H
#define TW_JSON_H

#include <stddef.h>

#define TW_JSON_MAX_BODY  (256u * 1024u * 1024u)   /* 256 MiB */
#define TW_JSON_MAX_DEPTH 512                       /* nesting of [ and { */

enum tw_jtype {
  TW_JNONE = 0, TW_JOBJECT, TW_JARRAY, TW_JSTRING,
  TW_JNUMBER, TW_JTRUE, TW_JFALSE, TW_JNULL
};

typedef struct tw_jdoc tw_jdoc;

/* An object of the document and its key index, as the scan recorded it (a
 * page item, a single record's root) or as tw_json_lookup builds it on
 * first use (objects over 64 KiB, items found after the scan). Callers
 * keep a copy by value (a record's userdata) and pass it to lookups; the
 * index memory belongs to the document. */
typedef struct tw_jobj {
  int start, end;             /* the value's text [start, end) */
  unsigned first, n;          /* TW_JOBJ_NARROW: the doc's members
                                 [first, first + n) */
  const unsigned *wide;       /* TW_JOBJ_WIDE: 2n offsets, doc-owned */
  unsigned char state;        /* TW_JOBJ_* */
  unsigned char esc;          /* some key holds a backslash */
} tw_jobj;
enum { TW_JOBJ_NONE = 0, TW_JOBJ_NARROW, TW_JOBJ_WIDE };

/* Why a parse failed: a message fit for an error object ("response is not
 * valid JSON at byte 12"), and the 0-based byte offset involved. */
typedef struct tw_jerr {
  char msg[160];
  size_t offset;
} tw_jerr;

/* Copies body[0..len) and validates it (strict JSON: one value, no trailing
 * commas, valid literals and numbers, well-formed escapes, nesting at most
 * TW_JSON_MAX_DEPTH). Raw control characters inside strings are accepted
 * (lenient), NUL bytes are not. A leading UTF-8 BOM is skipped. Returns NULL
 * and fills *err on invalid JSON, an empty body or out of memory (err->msg
 * "out of memory"). err->offset is the first byte no valid JSON text
 * could have there ("not valid JSON at byte N", 1-based in the message),
 * or the length when the text ends too early ("truncated"). What is
 * accepted is what the former jsmn + validate pipeline accepted
 * (tests/c/test_json.c and fuzz/fuzz_json.c check it against that oracle).
 * items_key: NULL, or the key of a list page's items array (shorter than
 * 64 bytes): the root's first member of that name and its elements, and the
 * root's next_page_uri, are recorded while validating, so tw_json_page with
 * the same key costs nothing more. */
tw_jdoc *tw_jdoc_parse(const char *body, size_t len, const char *items_key,
                       tw_jerr *err);
/* The same without a copy: the document reads body[0..len) in place, and
 * never writes it. body[len] must be readable and be '\0' (as in a Lua
 * string; checked: otherwise NULL with an error message); nothing after it
 * is read. The caller keeps body unchanged and alive until the document's
 * last release. */
tw_jdoc *tw_jdoc_borrow(const char *body, size_t len, const char *items_key,
                        tw_jerr *err);
/* A single record's document in the caller's block, which also holds the
 * body's copy: no malloc while the record's fields are read as usual.
 * tw_jdoc_in_size(len): the bytes the block needs for a body of len bytes
 * (0 when len is over TW_JSON_MAX_BODY). tw_jdoc_parse_in parses
 * body[0..len) (copied into mem; the caller's bytes may go) as
 * tw_jdoc_parse(body, len, NULL, err) does, into mem[0..cap) (aligned for
 * a pointer; cap >= tw_jdoc_in_size(len), else NULL and an error). The
 * block must outlive the document and stay where it is. hints: the
 * lookup cache the document shares (below; the block has no room for one
 * of its own). Ownership as any document's, except that its last
 * tw_jdoc_release frees only what it malloc'd on its own; while
 * tw_jdoc_external(d) is 0 that is nothing and none is needed, and it
 * stays 0 as long as lookups are on the root's object (tw_jdoc_root_obj:
 * its key index is built; another object's is built on first use). */
size_t tw_jdoc_in_size(size_t len);
typedef struct tw_jhints tw_jhints;
tw_jdoc *tw_jdoc_parse_in(void *mem, size_t cap, const char *body, size_t len,
                          tw_jhints *hints, tw_jerr *err);
int tw_jdoc_external(const tw_jdoc *d);
/* A lookup hint cache (see tw_json_lookup) that single records' documents
 * share (tw_jdoc_parse_in): what a read found in one record is where the
 * next record of the same layout finds its key at once (the guess is
 * verified as ever). In the caller's memory of tw_jhints_size() bytes
 * (aligned for a pointer), which must outlive every document using it;
 * tw_jhints_init makes it empty. No locking: the documents sharing one are
 * read by one thread at a time (one Lua state). */
size_t tw_jhints_size(void);
tw_jhints *tw_jhints_init(void *mem);
/* tw_jdoc_borrow(body, len, NULL, err) for a single record whose doc
 * shares hints (not NULL) instead of a cache of its own. */
tw_jdoc *tw_jdoc_borrow_hinted(const char *body, size_t len, tw_jhints *hints,
                               tw_jerr *err);
/* The root (a single record's object, with its key index when the parse
 * had no items_key). */
const tw_jobj *tw_jdoc_root_obj(const tw_jdoc *d);
void tw_jdoc_retain(tw_jdoc *d);
void tw_jdoc_release(tw_jdoc *d);          /* NULL is a no-op */

/* Bytes of malloc'd memory the document holds now (body copy unless
 * borrowed, items, key indexes), for telling the Lua GC about it. */
size_t tw_jdoc_bytes(const tw_jdoc *d);
/* The body text (the copy or the borrowed bytes; NUL-terminated; the BOM,
 * if any, skipped). */
const char *tw_jdoc_text(const tw_jdoc *d, size_t *len);
/* The root value. */
int tw_jdoc_root(const tw_jdoc *d);

/* Type of value v (TW_JNONE for -1). */
enum tw_jtype tw_json_type(const tw_jdoc *d, int v);
/* Offset just past value v. */
int tw_json_end(const tw_jdoc *d, int v);
/* Raw text of a value: for strings the bytes between the quotes (still
 * escaped), for the rest the whole value text ("{...}", "12.5", "true").
 * For -1: "" and *len = 0. */
const char *tw_json_raw(const tw_jdoc *d, int v, size_t *len);
/* A string value's raw contents (as tw_json_raw); *esc = 1 when they hold
 * a backslash (decode with tw_json_unescape). Its end is v + *len + 2. */
const char *tw_json_string(const tw_jdoc *d, int v, size_t *len, int *esc);
/* Number of direct children: keys of an object, elements of an array. */
int tw_json_size(const tw_jdoc *d, int v);

/* Direct children of a container v, in order:
 *   int pos = tw_json_first(d, v), key, val;
 *   while (tw_json_next(d, v, &pos, &key, &val)) { ...; pos = <end of val>; }
 * tw_json_next returns 1 with *val (and, in an object, *key: the key's
 * string value; -1 in an array), or 0 at the closing bracket (then *pos is
 * just past it). Before the next call the caller moves *pos to the end of
 * *val (tw_json_end(d, val), or the end it found while decoding). */
int tw_json_first(const tw_jdoc *d, int v);
int tw_json_next(const tw_jdoc *d, int v, int *pos, int *key, int *val);

/* Value of `key` among the members of object obj, or -1; the first
 * occurrence wins; keys are compared after unescaping. A linear scan: for
 * small objects (error bodies). Records use tw_json_lookup. */
int tw_json_find(const tw_jdoc *d, int obj, const char *key, size_t klen);

/* A tw_jobj for object value v, not yet indexed. */
tw_jobj tw_json_obj(const tw_jdoc *d, int v);
/* Value of `key` in object o, or -1; -2 when out of memory (building o's
 * index, which o then keeps). The first occurrence wins (with a hint, a
 * duplicated key may resolve to another occurrence). Keys are compared
 * after unescaping. hint: any pointer that stays the same for the same key
 * between calls (the Lua binding passes the interned key string), or NULL;
 * with it, records of one page that share a layout find a key without
 * scanning. The hint is only a guess: every hit is verified. */
int tw_json_lookup(tw_jdoc *d, tw_jobj *o, const char *key, size_t klen,
                   const void *hint);
/* tw_json_lookup for a reader that hands out strings: the same result,
 * and when the value is a string without escapes, its contents (*str, *len
 * bytes in the text, as tw_json_string gives them); else *str = NULL. One
 * call for the common field read (ltw_record.c). */
int tw_json_lookup_str(tw_jdoc *d, tw_jobj *o, const char *key, size_t klen,
                       const void *hint, const char **str, size_t *len);

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
 * objects. Sets *items to the elements (owned by d; copy them), *nitems,
 * and *next_uri (the string value of a non-empty next_page_uri, else -1).
 * Returns 0, or -1 with err->msg (out of memory: "out of memory"). */
int tw_json_page(tw_jdoc *d, const char *items_key, const tw_jobj **items,
                 int *nitems, int *next_uri, tw_jerr *err);

/* Values of a Twilio error body (-1 when absent): the Twilio form
 * {code, message, more_info, status, details} and RFC 9457
 * {type, title, status, code, detail, instance, errors}. Returns 0 when the
 * root is an object, -1 otherwise. */
typedef struct tw_jerror_fields {
  int code, message, more_info, status, details;
  int type, title, detail, instance, errors;
} tw_jerror_fields;
int tw_json_error_fields(const tw_jdoc *d, tw_jerror_fields *f);

/* A message for an error response whose body is not a usable JSON object:
 * "HTTP 502 (non-JSON body: text/html): <html><head>..." or
 * "HTTP 500 (empty body)". why: NULL, or what was wrong with a JSON body.
 * The excerpt and content type are cut short and reduced to printable
 * ASCII. Writes at most outsz bytes (NUL-terminated); returns strlen(out). */
size_t tw_json_http_message(char *out, size_t outsz, long status,
                            const char *body, size_t len,
                            const char *content_type, const char *why);

#endif
