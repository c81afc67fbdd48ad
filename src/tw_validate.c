/* tw_validate.c -- validators (see tw_validate.h). */
#include <string.h>
#include "tw_validate.h"

/* Character classes by byte (ASCII; every byte >= 0x80 is in none): one
 * load per character where the validators scan (a SID's 32 hex digits, a
 * URL's every byte). */
enum { K_DIGIT = 1, K_HEX = 2, K_ALPHA = 4, K_URL = 8 };
/* K_URL: printable ASCII minus the characters RFC 3986 never allows
 * ("<>\\^`{|} and the double quote) */
static const unsigned char KIND[256] = {
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
   0,  8,  0,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,
  11, 11, 11, 11, 11, 11, 11, 11, 11, 11,  8,  8,  0,  8,  0,  8,
   8, 14, 14, 14, 14, 14, 14, 12, 12, 12, 12, 12, 12, 12, 12, 12,
  12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,  8,  0,  8,  0,  8,
   0, 14, 14, 14, 14, 14, 14, 12, 12, 12, 12, 12, 12, 12, 12, 12,
  12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,  0,  0,  0,  8,  0,
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
};
static int is_digit(int c) { return KIND[c & 0xFF] & K_DIGIT; }
static int is_hex(int c) { return KIND[c & 0xFF] & K_HEX; }
static int is_alnum(int c) { return KIND[c & 0xFF] & (K_ALPHA | K_DIGIT); }
static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

static int ieq(const char *a, size_t an, const char *b) {
  size_t i;
  if (an != strlen(b)) return 0;
  for (i = 0; i < an; i++)
    if (lower((unsigned char)a[i]) != lower((unsigned char)b[i])) return 0;
  return 1;
}

int tw_valid_sid(const char *s, size_t n, const char *prefix) {
  size_t i;
  unsigned all = K_HEX;
  const unsigned char *u = (const unsigned char *)s;
  if (n != 34 || s[0] != prefix[0] || s[1] != prefix[1]) return 0;
  for (i = 2; i < 34; i += 4)           /* no branch per byte, 4 a round */
    all &= KIND[u[i]] & KIND[u[i + 1]] & KIND[u[i + 2]] & KIND[u[i + 3]];
  return (all & K_HEX) != 0;
}

int tw_valid_any_sid(const char *s, size_t n) {
  static const char *const kinds[] = {
    "AC", "AD", "AP", "BU", "PN", "RI", "TK", "XE", "XF", "SK", NULL };
  size_t i;
  for (i = 0; kinds[i]; i++)
    if (tw_valid_sid(s, n, kinds[i])) return 1;
  return 0;
}

int tw_valid_e164(const char *s, size_t n) {
  size_t i;
  if (n < 3 || n > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9') return 0;
  for (i = 2; i < n; i++)
    if (!is_digit((unsigned char)s[i])) return 0;
  return 1;
}

int tw_valid_phone_filter(const char *s, size_t n) {
  size_t i = 0, digits = 0;
  if (n > 0 && s[0] == '+') i = 1;
  if (n - i < 1 || n - i > 15) return 0;
  for (; i < n; i++) {
    if (is_digit((unsigned char)s[i])) digits++;
    else if (s[i] != '*') return 0;
  }
  return digits > 0;
}

static int is_wild(int c) { return c == '*' || c == '%'; }

int tw_valid_contains(const char *s, size_t n) {
  size_t i = 0, end = n, lead, core_start, core_end, trail;
  int anchor_start = 0, anchor_end = 0;
  if (n < 2 || n > 16) return 0;
  if (s[0] == '+') { anchor_start = 1; i = 1; }
  if (end > i && s[end - 1] == '$') { anchor_end = 1; end--; }
  lead = i;
  while (i < end && is_wild((unsigned char)s[i])) i++;
  core_start = i;
  while (i < end && is_alnum((unsigned char)s[i])) i++;
  core_end = i;
  while (i < end && is_wild((unsigned char)s[i])) i++;
  trail = i;
  if (trail != end) return 0;                     /* other bytes, or a
                                                     wildcard between letters */
  if (core_end == core_start) return 0;           /* no letter/digit */
  if (anchor_start && core_start != lead) return 0;   /* "+*" */
  if (anchor_end && core_end != end) return 0;        /* "*$" */
  /* '%' never next to another wildcard. */
  for (i = lead; i + 1 < end; i++)
    if (is_wild((unsigned char)s[i]) && is_wild((unsigned char)s[i + 1]) &&
        (s[i] == '%' || s[i + 1] == '%'))
      return 0;
  if ((core_start != lead || core_end != end) && core_end - core_start < 2)
    return 0;                                     /* wildcards: >= 2 chars */
  return 1;
}

int tw_valid_area_code(const char *s, size_t n) {
  return n == 3 && s[0] >= '2' && s[0] <= '9' &&
         is_digit((unsigned char)s[1]) && is_digit((unsigned char)s[2]);
}

int tw_valid_area_code_int(long long v) {
  return v >= 200 && v <= 999;
}

int tw_valid_country(const char *s, size_t n) {
  return n == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

/* [-]D{1,3}[.D{1,10}] within +-limit. */
static int degree(const char *s, size_t n, int limit) {
  size_t i = 0, int_digits = 0, frac_digits = 0;
  long whole = 0;
  int frac_nonzero = 0;
  if (i < n && s[i] == '-') i++;
  while (i < n && is_digit((unsigned char)s[i])) {
    whole = whole * 10 + (s[i] - '0');
    if (++int_digits > 3) return 0;
    i++;
  }
  if (int_digits == 0) return 0;
  if (i < n && s[i] == '.') {
    i++;
    while (i < n && is_digit((unsigned char)s[i])) {
      if (s[i] != '0') frac_nonzero = 1;
      if (++frac_digits > 10) return 0;
      i++;
    }
    if (frac_digits == 0) return 0;
  }
  if (i != n) return 0;
  return whole < limit || (whole == limit && !frac_nonzero);
}

int tw_valid_latlong(const char *s, size_t n) {
  const char *comma = memchr(s, ',', n);
  size_t k;
  if (!comma) return 0;
  k = (size_t)(comma - s);
  return degree(s, k, 90) && degree(comma + 1, n - k - 1, 180);
}

int tw_valid_api_version(const char *s, size_t n) {
  size_t i;
  if (n != 10 || s[4] != '-' || s[7] != '-') return 0;
  for (i = 0; i < n; i++)
    if (i != 4 && i != 7 && !is_digit((unsigned char)s[i])) return 0;
  return 1;
}

int tw_valid_token(const char *s, size_t n) {
  size_t i;
  if (n == 0) return 0;
  for (i = 0; i < n; i++)
    if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126) return 0;
  return 1;
}

/* host[:port] (no userinfo): reg-name, IPv4 or [IPv6]. Returns 1 when valid;
 * *hlen is the host length (brackets included). */
static int authority(const char *s, size_t n, size_t *hlen, unsigned *port,
                     int *port_given) {
  size_t i = 0, h;
  if (n == 0) return 0;
  if (s[0] == '[') {
    size_t colons = 0;
    for (i = 1; i < n && s[i] != ']'; i++) {
      if (s[i] == ':') colons++;
      else if (!is_hex((unsigned char)s[i]) && s[i] != '.') return 0;
    }
    if (i >= n || i < 3 || colons < 2) return 0;
    h = ++i;
  } else {
    size_t label = 0;
    for (; i < n && s[i] != ':'; i++) {
      unsigned char c = (unsigned char)s[i];
      if (c == '.') {
        if (label == 0) return 0;
        label = 0;
      } else if (is_alnum(c) || c == '-' || c == '_') {
        if (++label > 63) return 0;
      } else {
        return 0;
      }
    }
    h = i;
    if (h == 0 || h > 253 || s[0] == '.' || s[0] == '-') return 0;
  }
  *hlen = h;
  *port_given = 0;
  *port = 0;
  if (i < n) {
    unsigned long p = 0;
    size_t digits = 0;
    if (s[i] != ':') return 0;
    for (i++; i < n; i++) {
      if (!is_digit((unsigned char)s[i]) || ++digits > 5) return 0;
      p = p * 10 + (unsigned long)(s[i] - '0');
    }
    if (digits == 0 || p == 0 || p > 65535) return 0;
    *port = (unsigned)p;
    *port_given = 1;
  }
  return 1;
}

/* Length of the scheme prefix "http://" (7) or "https://" (8), else 0. */
static size_t scheme_len(const char *s, size_t n) {
  /* the letters in any case (c | 32 folds exactly A-Z onto a-z), ':' and
   * '/' as they are: what ieq(s, 7, "http://") and the https one say */
  if (n < 7 || (s[0] | 32) != 'h' || (s[1] | 32) != 't' || (s[2] | 32) != 't' ||
      (s[3] | 32) != 'p')
    return 0;
  if (s[4] == ':' && s[5] == '/' && s[6] == '/') return 7;
  if (n >= 8 && (s[4] | 32) == 's' && s[5] == ':' && s[6] == '/' && s[7] == '/') return 8;
  return 0;
}

int tw_valid_http_url(const char *s, size_t n) {
  size_t i, a, auth_end, at = 0, hlen;
  unsigned port;
  int given;
  a = scheme_len(s, n);
  if (a == 0) return 0;                       /* s[0..a): letters, ':', '/' */
  /* every byte printable ASCII minus the characters RFC 3986 never allows
   * (K_URL), checked in the same pass that finds the authority's end */
  for (auth_end = a; auth_end < n; auth_end++) {
    char c = s[auth_end];
    if (!(KIND[(unsigned char)c] & K_URL)) return 0;
    if (c == '/' || c == '?' || c == '#') break;
    if (c == '@') at = auth_end + 1;          /* userinfo: keep the last @ */
  }
  for (i = auth_end; i < n; i++)
    if (!(KIND[(unsigned char)s[i]] & K_URL)) return 0;
  if (at) {
    if (at - 1 == a) return 0;                /* "@host": empty userinfo */
    a = at;
  }
  return authority(s + a, auth_end - a, &hlen, &port, &given);
}

long tw_utf8_count(const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  long count = 0;
  while (i < n) {
    unsigned char c = s[i];
    size_t len, k;
    unsigned long cp;
    if (c < 0x80) { i++; count++; continue; }
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return -1;
    if (n - i < len) return -1;
    for (k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return -1;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return -1;
    i += len;
    count++;
  }
  return count;
}

/* tw_scan_text, and the code points in *count when it is TW_TEXT_OK: an
 * ASCII-only text (the usual one) is counted by its length, without the
 * UTF-8 walk; tw_check_string needs both, and walked the text twice. */
/* The byte classes scan_text_count gathers: one OR per byte, the verdict
 * taken once at the end (a NUL anywhere first, then CR/LF, then the other
 * control bytes: the order the byte-by-byte walk gave). */
enum { T_NUL = 1, T_CRLF = 2, T_TAB = 4, T_CTL = 8, T_HI = 16 };
static const unsigned char TEXT[256] = {
   1,  8,  8,  8,  8,  8,  8,  8,  8,  4,  2,  8,  8,  2,  8,  8,
   8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
   0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  8,
  16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
  16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
  16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
  16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
  16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
  16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
  16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
  16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
};

static int scan_text_count(const char *str, size_t n, int free_text, long *count) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i;
  unsigned acc = 0;
  for (i = 0; i < n; i++) acc |= TEXT[s[i]];
  if (acc & T_NUL) return TW_TEXT_NUL;
  if ((acc & T_CRLF) && !free_text) return TW_TEXT_CRLF;
  if ((acc & T_CTL) || ((acc & T_TAB) && !free_text)) return TW_TEXT_CTL;
  if (!(acc & T_HI)) {
    *count = (long)n;
    return TW_TEXT_OK;
  }
  if ((*count = tw_utf8_count(str, n)) < 0) return TW_TEXT_UTF8;
  return TW_TEXT_OK;
}

int tw_scan_text(const char *s, size_t n, int free_text) {
  long count;
  return scan_text_count(s, n, free_text, &count);
}

static const char *format_phrase(const tw_param *p) {
  switch (p->fmt) {
  case TW_F_SID:
    /* One phrase per kind, so the message names the expected prefix. */
    switch (p->sid_prefix[0] << 8 | p->sid_prefix[1]) {
    case 'A' << 8 | 'C': return "an Account SID: AC followed by 32 hex digits";
    case 'A' << 8 | 'D': return "an Address SID: AD followed by 32 hex digits";
    case 'A' << 8 | 'P': return "an Application SID: AP followed by 32 hex digits";
    case 'B' << 8 | 'U': return "a Bundle SID: BU followed by 32 hex digits";
    case 'P' << 8 | 'N': return "a phone number SID: PN followed by 32 hex digits";
    case 'R' << 8 | 'I': return "an Identity SID: RI followed by 32 hex digits";
    case 'T' << 8 | 'K': return "a Trunk SID: TK followed by 32 hex digits";
    case 'X' << 8 | 'E': return "an add-on SID: XE followed by 32 hex digits";
    case 'X' << 8 | 'F': return "an extension SID: XF followed by 32 hex digits";
    default: return "a SID of the right kind";
    }
  case TW_F_E164: return "E.164 like +14155550100";
  case TW_F_PHONE_FILTER:
    return "digits with an optional leading + and * wildcards, like +1415*******";
  case TW_F_CONTAINS:
    return "a 2-16 character pattern of digits/letters with * or % wildcards "
           "at the ends and optional + / $ anchors, like 510555**** or %STORM%";
  case TW_F_AREA_CODE: return "a 3-digit area code like 415";
  case TW_F_URL: return "an absolute http:// or https:// URL with a host "
                        "(spaces and non-ASCII percent-encoded)";
  case TW_F_COUNTRY: return "two upper-case letters (ISO 3166-1) like US";
  case TW_F_LATLONG: return "'latitude,longitude' in decimal degrees like 37.840699,-122.461853";
  case TW_F_API_VERSION: return "an API version like 2010-04-01";
  case TW_F_TOKEN: return "a page token as issued by the server (printable ASCII, no spaces)";
  default: return "valid";
  }
}

const char *tw_check_string(const tw_param *p, const char *s, size_t n) {
  int scan;
  long count;
  if (n == 0) {
    if (p->flags & TW_P_EMPTY_OK) return NULL;
    switch (p->fmt) {
    case TW_F_ENUM: return "one of the listed values, not empty";
    case TW_F_LINE: case TW_F_TEXT: return "a non-empty string";
    default: return format_phrase(p);
    }
  }
  switch (p->fmt) {
  case TW_F_LINE:
  case TW_F_TEXT:
    /* Text: say what is wrong with it. Formatted values below need no scan:
     * every format admits printable ASCII only, so the format phrase (what
     * is expected) is the more useful message. */
    scan = scan_text_count(s, n, p->fmt == TW_F_TEXT, &count);
    if (scan == TW_TEXT_NUL) return "free of NUL bytes";
    if (scan == TW_TEXT_CRLF) return "a single line (no CR or LF)";
    if (scan == TW_TEXT_CTL) return "free of control characters";
    if (scan == TW_TEXT_UTF8) return "valid UTF-8";
    if (p->maxlen && count > (long)p->maxlen)
      return p->maxlen == 64 ? "at most 64 characters"
                             : "at most 255 characters";
    return NULL;
  case TW_F_TOKEN:
    if (n > p->maxlen || !tw_valid_token(s, n)) return format_phrase(p);
    return NULL;
  case TW_F_SID:
    return tw_valid_sid(s, n, p->sid_prefix) ? NULL : format_phrase(p);
  case TW_F_E164:
    return tw_valid_e164(s, n) ? NULL : format_phrase(p);
  case TW_F_PHONE_FILTER:
    return tw_valid_phone_filter(s, n) ? NULL : format_phrase(p);
  case TW_F_CONTAINS:
    return tw_valid_contains(s, n) ? NULL : format_phrase(p);
  case TW_F_AREA_CODE:
    return tw_valid_area_code(s, n) ? NULL : format_phrase(p);
  case TW_F_URL:
    if (n > p->maxlen) return "a URL of at most 2048 bytes";
    return tw_valid_http_url(s, n) ? NULL : format_phrase(p);
  case TW_F_COUNTRY:
    return tw_valid_country(s, n) ? NULL : format_phrase(p);
  case TW_F_LATLONG:
    return tw_valid_latlong(s, n) ? NULL : format_phrase(p);
  case TW_F_API_VERSION:
    return tw_valid_api_version(s, n) ? NULL : format_phrase(p);
  case TW_F_ENUM: {
    size_t i;
    for (i = 0; p->enumv[i]; i++)
      if (strlen(p->enumv[i]) == n && memcmp(p->enumv[i], s, n) == 0)
        return NULL;
    return "one of the listed values (case-sensitive)";
  }
  default:
    return "of another type";
  }
}

int tw_param_clearable(const tw_param *p) {
  if (p->in != TW_IN_FORM || (p->flags & TW_P_REQUIRED)) return 0;
  if (p->fmt == TW_F_URL) return 1;
  return p->fmt == TW_F_SID && strcmp(p->wire, "AccountSid") != 0;
}

const char *tw_check_integer(const tw_param *p, long long v) {
  if (p->fmt == TW_F_AREA_CODE)
    return tw_valid_area_code_int(v) ? NULL : format_phrase(p);
  if ((p->flags & TW_P_HAS_MIN) && v < p->min)
    return (p->flags & TW_P_HAS_MAX) ? "within the range" : "at least the minimum";
  if ((p->flags & TW_P_HAS_MAX) && v > p->max)
    return (p->flags & TW_P_HAS_MIN) ? "within the range" : "at most the maximum";
  return NULL;
}

size_t tw_levenshtein(const char *a, size_t an, const char *b, size_t bn) {
  size_t row[65], i, j;
  if (an > 64 || bn > 64) return (size_t)-1;
  for (j = 0; j <= bn; j++) row[j] = j;
  for (i = 1; i <= an; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (j = 1; j <= bn; j++) {
      size_t up = row[j];
      size_t best = diag + (a[i - 1] == b[j - 1] ? 0 : 1);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[bn];
}

size_t tw_echo(char *out, size_t cap, const char *str, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0, o = 0, room = cap - 4;   /* keep space for "..." + NUL */
  while (i < n) {
    char piece[8];
    size_t plen = 0, take = 1;
    unsigned char c = s[i];
    if (c >= 0x20 && c < 0x7F && c != '\\' && c != '\'') {
      piece[plen++] = (char)c;
    } else if (c == '\\' || c == '\'') {
      piece[plen++] = '\\';
      piece[plen++] = (char)c;
    } else if (c >= 0x80) {
      size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
      if (len && i + len <= n && tw_utf8_count(str + i, len) == 1) {
        memcpy(piece, s + i, len);
        plen = take = len;
      }
    }
    if (plen == 0) {
      piece[0] = '\\'; piece[1] = 'x';
      piece[2] = hex[c >> 4]; piece[3] = hex[c & 15];
      plen = 4;
    }
    if (o + plen > room) {
      memcpy(out + o, "...", 3);
      o += 3;
      break;
    }
    memcpy(out + o, piece, plen);
    o += plen;
    i += take;
  }
  out[o] = '\0';
  return o;
}

int tw_is_loopback(const char *h, size_t n) {
  size_t i = 0;
  int part;
  if (ieq(h, n, "localhost") || ieq(h, n, "[::1]")) return 1;
  if (n < 7 || memcmp(h, "127.", 4) != 0) return 0;
  /* 127.a.b.c, each 0..255 */
  i = 4;
  for (part = 0; part < 3; part++) {
    unsigned v = 0;
    size_t digits = 0;
    while (i < n && is_digit((unsigned char)h[i])) {
      v = v * 10 + (unsigned)(h[i] - '0');
      if (++digits > 3) return 0;
      i++;
    }
    if (digits == 0 || v > 255) return 0;
    if (part < 2) {
      if (i >= n || h[i] != '.') return 0;
      i++;
    }
  }
  return i == n;
}

int tw_parse_base(const char *s, size_t n, tw_base *out, const char **why) {
  size_t a, end, hlen, i;
  unsigned port;
  int given;
  memset(out, 0, sizeof *out);
  a = scheme_len(s, n);
  if (a == 0) { *why = "an https:// URL like https://api.twilio.com"; return 0; }
  end = n;
  if (end > a && s[end - 1] == '/') end--;       /* trailing slash stripped */
  for (i = a; i < end; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '@') { *why = "a URL without user:password@ (credentials go in auth_token)"; return 0; }
    if (c == '/' ) { *why = "scheme://host[:port] without a path"; return 0; }
    if (c == '?' || c == '#') { *why = "a URL without a query or fragment"; return 0; }
    if (c < 33 || c > 126) { *why = "a URL without spaces or control characters"; return 0; }
  }
  if (!authority(s + a, end - a, &hlen, &port, &given) || hlen > 255) {
    *why = "scheme://host[:port] with a valid host name and port 1-65535";
    return 0;
  }
  if (a == 7 && !tw_is_loopback(s + a, hlen)) {
    *why = "https://, or http:// only for 127.0.0.0/8, localhost or [::1]";
    return 0;
  }
  memcpy(out->scheme, a == 7 ? "http" : "https", a == 7 ? 5 : 6);
  for (i = 0; i < hlen; i++) out->host[i] = (char)lower((unsigned char)s[a + i]);
  out->host[hlen] = '\0';
  out->port_given = given;
  out->port = given ? port : (a == 7 ? 80u : 443u);
  return 1;
}

int tw_valid_rel_uri(const char *s, size_t n) {
  static const char prefix[] = "/2010-04-01/";
  size_t i, seg;
  if (n < sizeof prefix - 1 || memcmp(s, prefix, sizeof prefix - 1) != 0)
    return 0;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 33 || c > 126 || c == '\\' || c == '#') return 0;
    if (c == '%' && (i + 2 >= n || !is_hex((unsigned char)s[i + 1]) ||
                     !is_hex((unsigned char)s[i + 2])))
      return 0;
  }
  /* no "." or ".." segments in the path part */
  for (seg = 1, i = 1; i <= n; i++) {
    if (i == n || s[i] == '/' || s[i] == '?') {
      size_t len = i - seg;
      if ((len == 1 && s[seg] == '.') ||
          (len == 2 && s[seg] == '.' && s[seg + 1] == '.'))
        return 0;
      if (i == n || s[i] == '?') break;
      seg = i + 1;
    }
  }
  return 1;
}

int tw_valid_label(const char *s, size_t n) {
  size_t i;
  if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-') return 0;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '-')) return 0;
  }
  return 1;
}

int tw_valid_header_value(const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7E) return 0;
  return 1;
}
