/* tw_ops.h -- the operation tables: every IncomingPhoneNumber-family
 * operation this library can build, with its parameters as the OpenAPI
 * document names and types them (../shared/twilio-oai/twilio_api_v2010.json),
 * plus the rules the spec only states in prose (each marked with a note).
 *
 * Static, read-only data: nothing here is allocated or owned.
 * spec/spec_drift_spec.lua compares these tables with the spec. */
#ifndef TW_OPS_H
#define TW_OPS_H

#include <stddef.h>

/* The spec's JSON-schema type of a parameter. */
enum { TW_T_STRING = 1, TW_T_BOOLEAN, TW_T_INTEGER };

/* Where the parameter goes. */
enum { TW_IN_PATH = 1, TW_IN_QUERY, TW_IN_FORM };

/* Which validator checks the value (tw_validate.h). */
enum {
  TW_F_LINE = 1,     /* single-line text: UTF-8, no control bytes */
  TW_F_TEXT,         /* free text (labels): UTF-8, no NUL */
  TW_F_TOKEN,        /* opaque token: printable ASCII, no space */
  TW_F_SID,          /* ^XX[0-9a-fA-F]{32}$, prefix in sid_prefix */
  TW_F_E164,         /* +[1-9][0-9]{1,14} */
  TW_F_PHONE_FILTER, /* list filter: optional +, digits and * wildcards */
  TW_F_CONTAINS,     /* AvailablePhoneNumbers Contains pattern */
  TW_F_AREA_CODE,    /* 3 digits, [2-9]XX; Lua integer or string */
  TW_F_URL,          /* absolute http/https URL with a host */
  TW_F_ENUM,         /* one of enumv, case-sensitive */
  TW_F_COUNTRY,      /* ISO 3166-1 alpha-2, two upper-case letters */
  TW_F_LATLONG,      /* "lat,long" decimal degrees */
  TW_F_API_VERSION,  /* YYYY-MM-DD like 2010-04-01 */
  TW_F_BOOL,         /* Lua boolean -> true/false */
  TW_F_INT           /* integral Lua number -> decimal */
};

/* Flags. */
#define TW_P_REQUIRED  0x01u  /* the spec marks it required */
#define TW_P_HAS_MIN   0x02u  /* min is meaningful */
#define TW_P_HAS_MAX   0x04u  /* max is meaningful */
#define TW_P_EMPTY_OK  0x08u  /* "" is accepted (only free labels) */
#define TW_P_INT_OR_STR 0x10u /* a Lua integer or a string is accepted */

typedef struct tw_param {
  const char *name;          /* snake_case key used in Lua */
  const char *wire;          /* PascalCase, exactly as the spec names it */
  unsigned char type;        /* TW_T_*: the spec's type */
  unsigned char in;          /* TW_IN_* */
  unsigned char fmt;         /* TW_F_* */
  unsigned char flags;       /* TW_P_* */
  const char *pattern;       /* the spec's pattern, or NULL */
  const char *format;        /* the spec's format, or NULL */
  const char *sid_prefix;    /* "PN", ... for TW_F_SID */
  const char *const *enumv;  /* NULL-terminated values, or NULL */
  long long min, max;        /* when TW_P_HAS_MIN / TW_P_HAS_MAX */
  unsigned maxlen;           /* strings: max length (code points; bytes for
                                URLs and tokens) */
  const char *note;          /* where the table adds to or departs from the
                                spec (prose-only rules), or NULL */
} tw_param;

/* Cross-parameter rules the spec does not express as JSON schema. */
enum { TW_RULE_NONE = 0, TW_RULE_PHONE_OR_AREA = 1 };

typedef struct tw_op {
  const char *id;            /* the OpenAPI operationId */
  const char *method;        /* "GET" | "POST" | "DELETE" */
  const char *path;          /* the spec's path template */
  const tw_param *params;    /* path params first, then query/form, in the
                                spec's order (the order they are sent) */
  size_t nparams;
  unsigned char idempotent;  /* safe to retry: GET, DELETE, Update */
  unsigned char rule;        /* TW_RULE_* */
  const char *note;
} tw_op;

extern const tw_op tw_ops[];
extern const size_t tw_nops;

/* The operation with this operationId, or NULL. */
const tw_op *tw_op_find(const char *id, size_t n);

/* The parameter named `name` (snake_case) that is not a path parameter,
 * or NULL. */
const tw_param *tw_op_param(const tw_op *op, const char *name, size_t n);
/* op->params[i] when it is a parameter (not a path one) named exactly
 * name[0..n), else NULL: a remembered index checked (ltw_request.c). */
const tw_param *tw_op_param_at(const tw_op *op, size_t i, const char *name, size_t n);

/* The path parameter whose wire name is `wire` ("Sid", ...), or NULL. */
const tw_param *tw_op_path_param(const tw_op *op, const char *wire, size_t n);

#endif
