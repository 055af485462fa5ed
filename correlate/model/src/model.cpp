#include "sipscope/correlate/model.hpp"

namespace sipscope::correlate {

std::string_view to_string(record_kind k) noexcept {
  switch (k) {
    case record_kind::call: return "call";
    case record_kind::registration: return "registration";
    case record_kind::options: return "options";
    case record_kind::message: return "message";
    case record_kind::subscription: return "subscription";
    case record_kind::refer: return "refer";
    case record_kind::other: return "other";
  }
  return "other";
}

std::string_view to_string(call_state s) noexcept {
  switch (s) {
    case call_state::calling: return "calling";
    case call_state::ringing: return "ringing";
    case call_state::in_call: return "in-call";
    case call_state::completed: return "completed";
    case call_state::cancelled: return "cancelled";
    case call_state::busy: return "busy";
    case call_state::rejected: return "rejected";
    case call_state::failed: return "failed";
    case call_state::no_answer: return "no-answer";
    case call_state::redirected: return "redirected";
  }
  return "calling";
}

std::string_view to_string(record_state s) noexcept {
  switch (s) {
    case record_state::pending: return "pending";
    case record_state::ok: return "ok";
    case record_state::failed: return "failed";
    case record_state::registered: return "registered";
    case record_state::unregistered: return "unregistered";
  }
  return "pending";
}

std::string_view to_string(side s) noexcept {
  switch (s) {
    case side::none: return "none";
    case side::caller: return "caller";
    case side::callee: return "callee";
  }
  return "none";
}

std::string_view to_string(tcp_failure_kind k) noexcept {
  switch (k) {
    case tcp_failure_kind::refused: return "refused";
    case tcp_failure_kind::unanswered: return "unanswered";
    case tcp_failure_kind::reset: return "reset";
  }
  return "unanswered";
}

std::string_view to_string(dialog_state s) noexcept {
  switch (s) {
    case dialog_state::early: return "early";
    case dialog_state::confirmed: return "confirmed";
    case dialog_state::terminated: return "terminated";
  }
  return "early";
}

namespace {
std::int64_t ms_between(const std::optional<timestamp_ns>& a, const std::optional<timestamp_ns>& b) {
  if (!a || !b || *b < *a) return -1;
  return capture::elapsed(*b, *a) / 1'000'000;
}
}  // namespace

std::int64_t record::post_dial_delay_ms() const noexcept {
  if (times.first_18x) return ms_between(times.invite, times.first_18x);
  if (times.answer) return ms_between(times.invite, times.answer);
  return ms_between(times.invite, times.final);
}
std::int64_t record::setup_ms() const noexcept { return ms_between(times.invite, times.answer); }
std::int64_t record::talk_ms() const noexcept {
  if (!times.answer) return -1;
  if (times.bye) return ms_between(times.answer, times.bye);
  std::optional<timestamp_ns> last = times.end;
  for (const stream_info& st : streams)
    if (st.end && (!last || st.end > *last)) last = st.end;
  return ms_between(times.answer, last);
}

}  // namespace sipscope::correlate
