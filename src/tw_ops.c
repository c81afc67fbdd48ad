/* tw_ops.c -- the operation tables (see tw_ops.h).
 *
 * Written by hand from ../shared/twilio-oai/twilio_api_v2010.json (tag 2.6.7)
 * and checked against it by spec/spec_drift_spec.lua: operationId, method,
 * path, and for every parameter its wire name, location, type, enum,
 * pattern, format, min/max and required flag. Parameters are listed in the
 * spec's order, which is the order they are sent in.
 *
 * Where the spec is silent or wrong, the entry carries a `note` (also
 * visible from Lua through core.operations()) and a comment. */
#include <string.h>
#include "tw_ops.h"

#define SIDPAT(p) "^" p "[0-9a-fA-F]{32}$"
#define NO_ENUM NULL

static const char *const ENUM_METHOD[] = { "GET", "POST", NULL };
static const char *const ENUM_EMERGENCY[] = { "Active", "Inactive", NULL };
static const char *const ENUM_RECEIVE_MODE[] = { "voice", "fax", NULL };

/* A path parameter (always required). */
#define PATH_SID(name, wire, pfx) \
  { name, wire, TW_T_STRING, TW_IN_PATH, TW_F_SID, TW_P_REQUIRED, SIDPAT(pfx), \
    NULL, pfx, NO_ENUM, 0, 0, 34, NULL }
/* CountryCode: the spec gives only format iso-country-code. */
#define PATH_COUNTRY \
  { "country_code", "CountryCode", TW_T_STRING, TW_IN_PATH, TW_F_COUNTRY, \
    TW_P_REQUIRED, NULL, "iso-country-code", NULL, NO_ENUM, 0, 0, 2, \
    "the spec has no pattern; we require two upper-case letters (ISO 3166-1 alpha-2)" }

#define SID(name, wire, in, pfx) \
  { name, wire, TW_T_STRING, in, TW_F_SID, 0, SIDPAT(pfx), NULL, pfx, \
    NO_ENUM, 0, 0, 34, NULL }
#define URL(name, wire, in) \
  { name, wire, TW_T_STRING, in, TW_F_URL, 0, NULL, "uri", NULL, NO_ENUM, \
    0, 0, 2048, "absolute http/https URL with a host; 2048-byte cap is ours" }
#define METHOD(name, wire, in) \
  { name, wire, TW_T_STRING, in, TW_F_ENUM, 0, NULL, "http-method", NULL, \
    ENUM_METHOD, 0, 0, 4, NULL }
#define BOOL(name, wire, in) \
  { name, wire, TW_T_BOOLEAN, in, TW_F_BOOL, 0, NULL, NULL, NULL, NO_ENUM, \
    0, 0, 0, NULL }
#define LINE(name, wire, in, note) \
  { name, wire, TW_T_STRING, in, TW_F_LINE, 0, NULL, NULL, NULL, NO_ENUM, \
    0, 0, 255, note }

/* FriendlyName: "up to 64 characters" is prose only (no maxLength). */
#define FRIENDLY_NAME(in) \
  { "friendly_name", "FriendlyName", TW_T_STRING, in, TW_F_TEXT, \
    TW_P_EMPTY_OK, NULL, NULL, NULL, NO_ENUM, 0, 0, 64, \
    "max 64 characters is prose only in the spec; free text, may be empty" }
/* ApiVersion: free string in the spec; in practice 2010-04-01 or 2008-08-01. */
#define API_VERSION \
  { "api_version", "ApiVersion", TW_T_STRING, TW_IN_FORM, TW_F_API_VERSION, \
    0, NULL, NULL, NULL, NO_ENUM, 0, 0, 10, \
    "free string in the spec; we require a YYYY-MM-DD version like 2010-04-01" }
/* EmergencyStatus / VoiceReceiveMode are $refs to enum components. */
#define EMERGENCY_STATUS \
  { "emergency_status", "EmergencyStatus", TW_T_STRING, TW_IN_FORM, \
    TW_F_ENUM, 0, NULL, NULL, NULL, ENUM_EMERGENCY, 0, 0, 8, NULL }
#define VOICE_RECEIVE_MODE \
  { "voice_receive_mode", "VoiceReceiveMode", TW_T_STRING, TW_IN_FORM, \
    TW_F_ENUM, 0, NULL, NULL, NULL, ENUM_RECEIVE_MODE, 0, 0, 5, NULL }
#define E164(name, wire, in, flags, note) \
  { name, wire, TW_T_STRING, in, TW_F_E164, flags, NULL, "phone-number", \
    NULL, NO_ENUM, 0, 0, 16, note }

/* Paging, on every list: PageSize 1..1000 (spec), Page >= 0 (spec),
 * PageToken opaque (never built by us; 1024-byte cap is ours). */
#define PAGING \
  { "page_size", "PageSize", TW_T_INTEGER, TW_IN_QUERY, TW_F_INT, \
    TW_P_HAS_MIN | TW_P_HAS_MAX, NULL, "int64", NULL, NO_ENUM, 1, 1000, 0, \
    NULL }, \
  { "page", "Page", TW_T_INTEGER, TW_IN_QUERY, TW_F_INT, TW_P_HAS_MIN, NULL, \
    NULL, NULL, NO_ENUM, 0, 0, 0, NULL }, \
  { "page_token", "PageToken", TW_T_STRING, TW_IN_QUERY, TW_F_TOKEN, 0, \
    NULL, NULL, NULL, NO_ENUM, 0, 0, 1024, \
    "opaque server cursor; printable ASCII, 1024-byte cap is ours" }

#define ACCOUNT PATH_SID("account_sid", "AccountSid", "AC")

/* The webhook / application block shared by create and update. */
#define SMS_VOICE_CORE \
  SID("sms_application_sid", "SmsApplicationSid", TW_IN_FORM, "AP"), \
  METHOD("sms_fallback_method", "SmsFallbackMethod", TW_IN_FORM), \
  URL("sms_fallback_url", "SmsFallbackUrl", TW_IN_FORM), \
  METHOD("sms_method", "SmsMethod", TW_IN_FORM), \
  URL("sms_url", "SmsUrl", TW_IN_FORM), \
  URL("status_callback", "StatusCallback", TW_IN_FORM), \
  METHOD("status_callback_method", "StatusCallbackMethod", TW_IN_FORM), \
  SID("voice_application_sid", "VoiceApplicationSid", TW_IN_FORM, "AP"), \
  BOOL("voice_caller_id_lookup", "VoiceCallerIdLookup", TW_IN_FORM), \
  METHOD("voice_fallback_method", "VoiceFallbackMethod", TW_IN_FORM), \
  URL("voice_fallback_url", "VoiceFallbackUrl", TW_IN_FORM), \
  METHOD("voice_method", "VoiceMethod", TW_IN_FORM), \
  URL("voice_url", "VoiceUrl", TW_IN_FORM)

/* ---- IncomingPhoneNumbers ---------------------------------------------- */

/* List filters (main, Local, Mobile, TollFree are identical). */
static const tw_param P_LIST_NUMBERS[] = {
  ACCOUNT,
  BOOL("beta", "Beta", TW_IN_QUERY),
  FRIENDLY_NAME(TW_IN_QUERY),
  /* format phone-number, but a filter: partial numbers and * wildcards. */
  { "phone_number", "PhoneNumber", TW_T_STRING, TW_IN_QUERY,
    TW_F_PHONE_FILTER, 0, NULL, "phone-number", NULL, NO_ENUM, 0, 0, 16,
    "filter: partial numbers allowed, optional leading +, * matches one digit" },
  /* prose says twilio|hosted, schema is a free string: no enum enforced. */
  LINE("origin", "Origin", TW_IN_QUERY,
       "free string in the schema (prose: twilio or hosted)"),
  PAGING
};

/* Main create. x-twilio.conditional [[phone_number, area_code]] is not
 * JSON-schema `required`: enforced as TW_RULE_PHONE_OR_AREA (one, not both). */
static const tw_param P_CREATE[] = {
  ACCOUNT,
  API_VERSION,
  FRIENDLY_NAME(TW_IN_FORM),
  SMS_VOICE_CORE,
  EMERGENCY_STATUS,
  SID("emergency_address_sid", "EmergencyAddressSid", TW_IN_FORM, "AD"),
  SID("trunk_sid", "TrunkSid", TW_IN_FORM, "TK"),
  SID("identity_sid", "IdentitySid", TW_IN_FORM, "RI"),
  SID("address_sid", "AddressSid", TW_IN_FORM, "AD"),
  VOICE_RECEIVE_MODE,
  SID("bundle_sid", "BundleSid", TW_IN_FORM, "BU"),
  E164("phone_number", "PhoneNumber", TW_IN_FORM, 0,
       "E.164 enforced (format phone-number only); phone_number or area_code, not both"),
  /* AreaCode is a string here but an integer in the searches: we take
   * either a Lua integer or a 3-digit string. */
  { "area_code", "AreaCode", TW_T_STRING, TW_IN_FORM, TW_F_AREA_CODE,
    TW_P_INT_OR_STR, NULL, NULL, NULL, NO_ENUM, 0, 0, 3,
    "string in the spec (integer in searches); 3 digits, Lua integer or string" }
};

/* Local / Mobile / TollFree create: PhoneNumber required, no AreaCode. */
static const tw_param P_CREATE_TYPED[] = {
  ACCOUNT,
  E164("phone_number", "PhoneNumber", TW_IN_FORM, TW_P_REQUIRED,
       "E.164 enforced (the spec gives format phone-number only)"),
  API_VERSION,
  FRIENDLY_NAME(TW_IN_FORM),
  SMS_VOICE_CORE,
  SID("identity_sid", "IdentitySid", TW_IN_FORM, "RI"),
  SID("address_sid", "AddressSid", TW_IN_FORM, "AD"),
  EMERGENCY_STATUS,
  SID("emergency_address_sid", "EmergencyAddressSid", TW_IN_FORM, "AD"),
  SID("trunk_sid", "TrunkSid", TW_IN_FORM, "TK"),
  VOICE_RECEIVE_MODE,
  SID("bundle_sid", "BundleSid", TW_IN_FORM, "BU")
};

static const tw_param P_NUMBER[] = {
  ACCOUNT,
  PATH_SID("sid", "Sid", "PN")
};

static const tw_param P_UPDATE[] = {
  ACCOUNT,
  PATH_SID("sid", "Sid", "PN"),
  /* form AccountSid: move the number to this (sub)account. In Lua it is
   * params.account_sid; the path's account is path.account_sid. */
  SID("account_sid", "AccountSid", TW_IN_FORM, "AC"),
  API_VERSION,
  FRIENDLY_NAME(TW_IN_FORM),
  SMS_VOICE_CORE,
  EMERGENCY_STATUS,
  SID("emergency_address_sid", "EmergencyAddressSid", TW_IN_FORM, "AD"),
  SID("trunk_sid", "TrunkSid", TW_IN_FORM, "TK"),
  VOICE_RECEIVE_MODE,
  SID("identity_sid", "IdentitySid", TW_IN_FORM, "RI"),
  SID("address_sid", "AddressSid", TW_IN_FORM, "AD"),
  SID("bundle_sid", "BundleSid", TW_IN_FORM, "BU")
};

/* ---- AssignedAddOns and Extensions --------------------------------------- */

static const tw_param P_ADDONS_LIST[] = {
  ACCOUNT,
  PATH_SID("resource_sid", "ResourceSid", "PN"),
  PAGING
};

static const tw_param P_ADDON_CREATE[] = {
  ACCOUNT,
  PATH_SID("resource_sid", "ResourceSid", "PN"),
  { "installed_add_on_sid", "InstalledAddOnSid", TW_T_STRING, TW_IN_FORM,
    TW_F_SID, TW_P_REQUIRED, SIDPAT("XE"), NULL, "XE", NO_ENUM, 0, 0, 34,
    NULL }
};

/* Prose says unique_name may replace the SID in the URL; the path patterns
 * (^XE / ^XF) say otherwise. We follow the patterns. */
static const tw_param P_ADDON[] = {
  ACCOUNT,
  PATH_SID("resource_sid", "ResourceSid", "PN"),
  PATH_SID("sid", "Sid", "XE")
};

static const tw_param P_EXTENSIONS_LIST[] = {
  ACCOUNT,
  PATH_SID("resource_sid", "ResourceSid", "PN"),
  PATH_SID("assigned_add_on_sid", "AssignedAddOnSid", "XE"),
  PAGING
};

static const tw_param P_EXTENSION[] = {
  ACCOUNT,
  PATH_SID("resource_sid", "ResourceSid", "PN"),
  PATH_SID("assigned_add_on_sid", "AssignedAddOnSid", "XE"),
  PATH_SID("sid", "Sid", "XF")
};

/* ---- AvailablePhoneNumbers ----------------------------------------------- */

static const tw_param P_COUNTRIES[] = {
  ACCOUNT,
  PAGING
};

static const tw_param P_COUNTRY[] = {
  ACCOUNT,
  PATH_COUNTRY
};

/* The seven searches share one parameter list. */
static const tw_param P_SEARCH[] = {
  ACCOUNT,
  PATH_COUNTRY,
  /* integer in the spec (string in the main create): 3 digits, Lua integer
   * or string. */
  { "area_code", "AreaCode", TW_T_INTEGER, TW_IN_QUERY, TW_F_AREA_CODE,
    TW_P_INT_OR_STR, NULL, NULL, NULL, NO_ENUM, 0, 0, 3,
    "integer in the spec (string in the main create); 3 digits, Lua integer or string" },
  /* Contains: the whole grammar is prose only (see tw_valid_contains). */
  { "contains", "Contains", TW_T_STRING, TW_IN_QUERY, TW_F_CONTAINS, 0,
    NULL, NULL, NULL, NO_ENUM, 0, 0, 16,
    "2-16 chars of digits/letters with * % + $ per the prose rules (no schema pattern)" },
  BOOL("sms_enabled", "SmsEnabled", TW_IN_QUERY),
  BOOL("mms_enabled", "MmsEnabled", TW_IN_QUERY),
  BOOL("voice_enabled", "VoiceEnabled", TW_IN_QUERY),
  BOOL("exclude_all_address_required", "ExcludeAllAddressRequired", TW_IN_QUERY),
  BOOL("exclude_local_address_required", "ExcludeLocalAddressRequired", TW_IN_QUERY),
  BOOL("exclude_foreign_address_required", "ExcludeForeignAddressRequired", TW_IN_QUERY),
  BOOL("beta", "Beta", TW_IN_QUERY),
  E164("near_number", "NearNumber", TW_IN_QUERY, 0,
       "E.164 enforced (the spec gives format phone-number only)"),
  { "near_lat_long", "NearLatLong", TW_T_STRING, TW_IN_QUERY, TW_F_LATLONG, 0,
    NULL, NULL, NULL, NO_ENUM, 0, 0, 64,
    "free string in the spec; we require decimal 'lat,long' in range" },
  /* "Can be up to 500" is prose only: no minimum/maximum in the schema. */
  { "distance", "Distance", TW_T_INTEGER, TW_IN_QUERY, TW_F_INT,
    TW_P_HAS_MIN | TW_P_HAS_MAX, NULL, NULL, NULL, NO_ENUM, 0, 500, 0,
    "range 0..500 is prose only (no minimum/maximum in the spec)" },
  LINE("in_postal_code", "InPostalCode", TW_IN_QUERY, NULL),
  LINE("in_region", "InRegion", TW_IN_QUERY, NULL),
  LINE("in_rate_center", "InRateCenter", TW_IN_QUERY, NULL),
  LINE("in_lata", "InLata", TW_IN_QUERY, NULL),
  LINE("in_locality", "InLocality", TW_IN_QUERY, NULL),
  BOOL("fax_enabled", "FaxEnabled", TW_IN_QUERY),
  PAGING
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define ACC "/2010-04-01/Accounts/{AccountSid}"
#define OP(id, m, path, params, idem, rule, note) \
  { id, m, ACC path, params, N(params), idem, rule, note }
#define SEARCH(type) \
  OP("ListAvailablePhoneNumber" type, "GET", \
     "/AvailablePhoneNumbers/{CountryCode}/" type ".json", P_SEARCH, 1, 0, NULL)

const tw_op tw_ops[] = {
  OP("ListIncomingPhoneNumber", "GET", "/IncomingPhoneNumbers.json",
     P_LIST_NUMBERS, 1, 0, NULL),
  OP("CreateIncomingPhoneNumber", "POST", "/IncomingPhoneNumbers.json",
     P_CREATE, 0, TW_RULE_PHONE_OR_AREA,
     "x-twilio.conditional: phone_number or area_code is needed (not JSON-schema required); we also refuse both"),
  OP("FetchIncomingPhoneNumber", "GET", "/IncomingPhoneNumbers/{Sid}.json",
     P_NUMBER, 1, 0, NULL),
  /* POST, but setting the same fields twice gives the same state. */
  OP("UpdateIncomingPhoneNumber", "POST", "/IncomingPhoneNumbers/{Sid}.json",
     P_UPDATE, 1, 0, NULL),
  OP("DeleteIncomingPhoneNumber", "DELETE", "/IncomingPhoneNumbers/{Sid}.json",
     P_NUMBER, 1, 0, NULL),
  OP("ListIncomingPhoneNumberLocal", "GET", "/IncomingPhoneNumbers/Local.json",
     P_LIST_NUMBERS, 1, 0, NULL),
  OP("CreateIncomingPhoneNumberLocal", "POST",
     "/IncomingPhoneNumbers/Local.json", P_CREATE_TYPED, 0, 0, NULL),
  OP("ListIncomingPhoneNumberMobile", "GET",
     "/IncomingPhoneNumbers/Mobile.json", P_LIST_NUMBERS, 1, 0, NULL),
  OP("CreateIncomingPhoneNumberMobile", "POST",
     "/IncomingPhoneNumbers/Mobile.json", P_CREATE_TYPED, 0, 0, NULL),
  OP("ListIncomingPhoneNumberTollFree", "GET",
     "/IncomingPhoneNumbers/TollFree.json", P_LIST_NUMBERS, 1, 0, NULL),
  OP("CreateIncomingPhoneNumberTollFree", "POST",
     "/IncomingPhoneNumbers/TollFree.json", P_CREATE_TYPED, 0, 0, NULL),
  OP("ListIncomingPhoneNumberAssignedAddOn", "GET",
     "/IncomingPhoneNumbers/{ResourceSid}/AssignedAddOns.json",
     P_ADDONS_LIST, 1, 0, NULL),
  OP("CreateIncomingPhoneNumberAssignedAddOn", "POST",
     "/IncomingPhoneNumbers/{ResourceSid}/AssignedAddOns.json",
     P_ADDON_CREATE, 0, 0, NULL),
  OP("FetchIncomingPhoneNumberAssignedAddOn", "GET",
     "/IncomingPhoneNumbers/{ResourceSid}/AssignedAddOns/{Sid}.json",
     P_ADDON, 1, 0, NULL),
  OP("DeleteIncomingPhoneNumberAssignedAddOn", "DELETE",
     "/IncomingPhoneNumbers/{ResourceSid}/AssignedAddOns/{Sid}.json",
     P_ADDON, 1, 0, NULL),
  OP("ListIncomingPhoneNumberAssignedAddOnExtension", "GET",
     "/IncomingPhoneNumbers/{ResourceSid}/AssignedAddOns/{AssignedAddOnSid}/Extensions.json",
     P_EXTENSIONS_LIST, 1, 0, NULL),
  OP("FetchIncomingPhoneNumberAssignedAddOnExtension", "GET",
     "/IncomingPhoneNumbers/{ResourceSid}/AssignedAddOns/{AssignedAddOnSid}/Extensions/{Sid}.json",
     P_EXTENSION, 1, 0, NULL),
  OP("ListAvailablePhoneNumberCountry", "GET", "/AvailablePhoneNumbers.json",
     P_COUNTRIES, 1, 0, NULL),
  OP("FetchAvailablePhoneNumberCountry", "GET",
     "/AvailablePhoneNumbers/{CountryCode}.json", P_COUNTRY, 1, 0, NULL),
  SEARCH("Local"),
  SEARCH("TollFree"),
  SEARCH("Mobile"),
  SEARCH("National"),
  SEARCH("Voip"),
  SEARCH("SharedCost"),
  SEARCH("MachineToMachine")
};

const size_t tw_nops = N(tw_ops);

/* a (NUL-terminated) equals b[0..n): the first byte first, so most
 * non-matching names cost a compare, not a strlen */
static int eq(const char *a, const char *b, size_t n) {
  if (n == 0) return a[0] == '\0';
  return a[0] == b[0] && strlen(a) == n && memcmp(a, b, n) == 0;
}

const tw_op *tw_op_find(const char *id, size_t n) {
  size_t i;
  for (i = 0; i < tw_nops; i++)
    if (eq(tw_ops[i].id, id, n)) return &tw_ops[i];
  return NULL;
}

const tw_param *tw_op_param(const tw_op *op, const char *name, size_t n) {
  size_t i;
  for (i = 0; i < op->nparams; i++)
    if (op->params[i].in != TW_IN_PATH && eq(op->params[i].name, name, n))
      return &op->params[i];
  return NULL;
}

const tw_param *tw_op_param_at(const tw_op *op, size_t i, const char *name, size_t n) {
  const char *a;
  size_t k;
  if (i >= op->nparams || op->params[i].in == TW_IN_PATH) return NULL;
  a = op->params[i].name;
  for (k = 0; k < n; k++)              /* a's NUL ends it: never read past */
    if (a[k] != name[k] || a[k] == '\0') return NULL;
  return a[n] == '\0' ? &op->params[i] : NULL;
}

const tw_param *tw_op_path_param(const tw_op *op, const char *wire, size_t n) {
  size_t i;
  for (i = 0; i < op->nparams; i++)
    if (op->params[i].in == TW_IN_PATH && eq(op->params[i].wire, wire, n))
      return &op->params[i];
  return NULL;
}
