#include "sipscope/store/store.hpp"

#include "backends.hpp"

namespace sipscope::store {

std::unique_ptr<store> open(const std::string& target, error& e) {
  if (target.starts_with("postgresql://") || target.starts_with("postgres://"))
    return detail::open_postgres(target, e);
  return detail::open_sqlite(target, e);
}

}  // namespace sipscope::store
