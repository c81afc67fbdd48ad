/* test_json_rename.h -- renames tw_json.h's functions, for the tests that
 * compile their own copy of src/tw_json.c (test_json_scalar.c,
 * test_json_sse2.c) next to the one every C test links. */
#ifndef TEST_JSON_RENAME_H
#define TEST_JSON_RENAME_H
#define tw_jdoc_parse        tt_jdoc_parse
#define tw_jdoc_borrow       tt_jdoc_borrow
#define tw_jdoc_borrow_hinted tt_jdoc_borrow_hinted
#define tw_jdoc_parse_in     tt_jdoc_parse_in
#define tw_jdoc_in_size      tt_jdoc_in_size
#define tw_jdoc_external     tt_jdoc_external
#define tw_jhints_size       tt_jhints_size
#define tw_jhints_init       tt_jhints_init
#define tw_jdoc_root_obj     tt_jdoc_root_obj
#define tw_jdoc_retain       tt_jdoc_retain
#define tw_jdoc_release      tt_jdoc_release
#define tw_jdoc_bytes        tt_jdoc_bytes
#define tw_jdoc_text         tt_jdoc_text
#define tw_jdoc_root         tt_jdoc_root
#define tw_json_type         tt_json_type
#define tw_json_end          tt_json_end
#define tw_json_raw          tt_json_raw
#define tw_json_string       tt_json_string
#define tw_json_size         tt_json_size
#define tw_json_first        tt_json_first
#define tw_json_next         tt_json_next
#define tw_json_find         tt_json_find
#define tw_json_obj          tt_json_obj
#define tw_json_lookup       tt_json_lookup
#define tw_json_lookup_str   tt_json_lookup_str
#define tw_json_unescape     tt_json_unescape
#define tw_json_has_escape   tt_json_has_escape
#define tw_json_number       tt_json_number
#define tw_json_page         tt_json_page
#define tw_json_error_fields tt_json_error_fields
#define tw_json_http_message tt_json_http_message
#endif
