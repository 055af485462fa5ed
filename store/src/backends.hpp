// The two backends behind store::open().
#pragma once

#include <memory>
#include <string>

#include "sipscope/store/store.hpp"

namespace sipscope::store::detail {

std::unique_ptr<store> open_sqlite(const std::string& path, error& e);
std::unique_ptr<store> open_postgres(const std::string& uri, error& e);

}  // namespace sipscope::store::detail
