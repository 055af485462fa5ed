// A minimal PNG writer (RGBA 8-bit, zlib for IDAT and the CRCs) for --screenshot and the
// ladder export; and a reader of the same files for the tests (8-bit RGB/RGBA, no interlace).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sipscope::viewer {

// `rgba` holds width*height*4 bytes, top row first. Returns false (with `error`) on I/O errors.
bool write_png(const std::string& path, int width, int height, const std::vector<std::uint8_t>& rgba,
               std::string& error);

// Reads back a PNG this writer made (8-bit RGBA or RGB, non-interlaced, any filter).
bool read_png(const std::string& path, int& width, int& height, std::vector<std::uint8_t>& rgba, std::string& error);

}  // namespace sipscope::viewer
