#include "backends.hpp"

namespace sipscope::store::detail {

std::unique_ptr<store> open_postgres(const std::string&, error& e) {
  e = {error_kind::connection, "PostgreSQL: not yet supported"};
  return nullptr;
}

}  // namespace sipscope::store::detail
