// Names of the stable diagnostic codes (diagnostic.hpp).
#include "sipscope/parser/diagnostic.hpp"

namespace sipscope::parser {

std::string_view to_string(diag_code c) noexcept {
  switch (c) {
    case diag_code::empty_message: return "empty_message";
    case diag_code::bad_start_line: return "bad_start_line";
    case diag_code::bad_request_line: return "bad_request_line";
    case diag_code::bad_status_line: return "bad_status_line";
    case diag_code::bad_method: return "bad_method";
    case diag_code::bad_request_uri: return "bad_request_uri";
    case diag_code::bad_sip_version: return "bad_sip_version";
    case diag_code::unsupported_sip_version: return "unsupported_sip_version";
    case diag_code::bad_status_code: return "bad_status_code";
    case diag_code::bad_reason_phrase: return "bad_reason_phrase";
    case diag_code::headers_not_terminated: return "headers_not_terminated";
    case diag_code::message_too_large: return "message_too_large";
    case diag_code::too_many_headers: return "too_many_headers";
    case diag_code::leading_garbage: return "leading_garbage";
    case diag_code::bad_header_line: return "bad_header_line";
    case diag_code::bad_header_value: return "bad_header_value";
    case diag_code::bad_uri: return "bad_uri";
    case diag_code::bad_name_addr: return "bad_name_addr";
    case diag_code::bad_via: return "bad_via";
    case diag_code::bad_cseq: return "bad_cseq";
    case diag_code::bad_number: return "bad_number";
    case diag_code::bad_param: return "bad_param";
    case diag_code::unterminated_quote: return "unterminated_quote";
    case diag_code::empty_list_element: return "empty_list_element";
    case diag_code::bad_date: return "bad_date";
    case diag_code::header_value_too_long: return "header_value_too_long";
    case diag_code::missing_content_length: return "missing_content_length";
    case diag_code::content_length_mismatch: return "content_length_mismatch";
    case diag_code::bad_content_length: return "bad_content_length";
    case diag_code::multiple_content_length: return "multiple_content_length";
    case diag_code::body_truncated: return "body_truncated";
    case diag_code::bad_sdp: return "bad_sdp";
    case diag_code::bad_multipart: return "bad_multipart";
    case diag_code::multipart_too_deep: return "multipart_too_deep";
    case diag_code::trailing_bytes: return "trailing_bytes";
    case diag_code::missing_mandatory_header: return "missing_mandatory_header";
    case diag_code::cseq_method_mismatch: return "cseq_method_mismatch";
    case diag_code::bad_branch: return "bad_branch";
    case diag_code::duplicate_single_header: return "duplicate_single_header";
    case diag_code::max_forwards_zero: return "max_forwards_zero";
    case diag_code::unsupported_uri_scheme: return "unsupported_uri_scheme";
    case diag_code::unknown_option_tag: return "unknown_option_tag";
    case diag_code::unsupported_media_type: return "unsupported_media_type";
    case diag_code::not_acceptable: return "not_acceptable";
    case diag_code::broadcast_address: return "broadcast_address";
    case diag_code::escaped_header_in_request_uri: return "escaped_header_in_request_uri";
    case diag_code::rfc2543_compat: return "rfc2543_compat";
    case diag_code::unknown_method: return "unknown_method";
    case diag_code::display_name_not_quoted: return "display_name_not_quoted";
    case diag_code::non_gmt_date: return "non_gmt_date";
  }
  return "unknown";
}

std::string_view to_string(severity s) noexcept {
  switch (s) {
    case severity::error: return "error";
    case severity::warning: return "warning";
    case severity::info: return "info";
  }
  return "?";
}

std::string_view to_string(status s) noexcept {
  switch (s) {
    case status::ok: return "ok";
    case status::incomplete: return "incomplete";
    case status::malformed: return "malformed";
  }
  return "?";
}

}  // namespace sipscope::parser
