#include "png.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sipscope::viewer {

namespace {

void put32(std::string& s, std::uint32_t v) {
  s += static_cast<char>(v >> 24);
  s += static_cast<char>(v >> 16);
  s += static_cast<char>(v >> 8);
  s += static_cast<char>(v);
}

void chunk(std::string& out, const char type[4], const std::string& data) {
  put32(out, static_cast<std::uint32_t>(data.size()));
  std::string body(type, 4);
  body += data;
  out += body;
  put32(out, static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
}

std::uint32_t get32(const unsigned char* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

int paeth(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

}  // namespace

bool write_png(const std::string& path, int width, int height, const std::vector<std::uint8_t>& rgba, std::string& error) {
  if (width <= 0 || height <= 0 || rgba.size() != static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 4) {
    error = "bad image size";
    return false;
  }
  // Filter type 0 (none) per row; zlib does the work.
  const std::size_t stride = static_cast<std::size_t>(width) * 4;
  std::string raw;
  raw.reserve((stride + 1) * static_cast<std::size_t>(height));
  for (int y = 0; y < height; ++y) {
    raw += '\0';
    raw.append(reinterpret_cast<const char*>(rgba.data()) + static_cast<std::size_t>(y) * stride, stride);
  }
  uLongf zlen = compressBound(static_cast<uLong>(raw.size()));
  std::string z(zlen, '\0');
  if (compress2(reinterpret_cast<Bytef*>(z.data()), &zlen, reinterpret_cast<const Bytef*>(raw.data()),
                static_cast<uLong>(raw.size()), 6) != Z_OK) {
    error = "zlib compression failed";
    return false;
  }
  z.resize(zlen);
  std::string out("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  put32(ihdr, static_cast<std::uint32_t>(width));
  put32(ihdr, static_cast<std::uint32_t>(height));
  ihdr += '\x08';   // bit depth
  ihdr += '\x06';   // RGBA
  ihdr += std::string(3, '\0');
  chunk(out, "IHDR", ihdr);
  chunk(out, "IDAT", z);
  chunk(out, "IEND", "");
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    return false;
  }
  const bool ok = std::fwrite(out.data(), 1, out.size(), f) == out.size();
  if (std::fclose(f) != 0 || !ok) {
    error = "cannot write '" + path + "'";
    return false;
  }
  return true;
}

bool read_png(const std::string& path, int& width, int& height, std::vector<std::uint8_t>& rgba, std::string& error) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    error = "cannot open '" + path + "'";
    return false;
  }
  std::string data;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, n);
  std::fclose(f);
  if (data.size() < 8 || data.compare(0, 8, std::string("\x89PNG\r\n\x1a\n", 8)) != 0) {
    error = "not a PNG";
    return false;
  }
  std::size_t pos = 8;
  int depth = 0, type = 0, interlace = 0;
  std::string idat;
  width = height = 0;
  while (pos + 12 <= data.size()) {
    const auto* p = reinterpret_cast<const unsigned char*>(data.data() + pos);
    const std::uint32_t len = get32(p);
    if (pos + 12 + len > data.size()) break;
    const std::string t(data.data() + pos + 4, 4);
    const auto* d = p + 8;
    if (t == "IHDR" && len >= 13) {
      width = static_cast<int>(get32(d));
      height = static_cast<int>(get32(d + 4));
      depth = d[8];
      type = d[9];
      interlace = d[12];
    } else if (t == "IDAT") {
      idat.append(reinterpret_cast<const char*>(d), len);
    } else if (t == "IEND") {
      break;
    }
    pos += 12 + len;
  }
  if (width <= 0 || height <= 0 || width > 1 << 14 || height > 1 << 14 || depth != 8 || (type != 6 && type != 2) ||
      interlace != 0) {
    error = "unsupported PNG (8-bit RGB/RGBA, not interlaced, only)";
    return false;
  }
  const int bpp = type == 6 ? 4 : 3;
  const std::size_t stride = static_cast<std::size_t>(width) * static_cast<std::size_t>(bpp);
  std::string raw((stride + 1) * static_cast<std::size_t>(height), '\0');
  uLongf rawlen = static_cast<uLongf>(raw.size());
  if (uncompress(reinterpret_cast<Bytef*>(raw.data()), &rawlen, reinterpret_cast<const Bytef*>(idat.data()),
                 static_cast<uLong>(idat.size())) != Z_OK ||
      rawlen != raw.size()) {
    error = "bad PNG data";
    return false;
  }
  std::vector<std::uint8_t> img(stride * static_cast<std::size_t>(height));
  for (int y = 0; y < height; ++y) {
    const auto filter = static_cast<unsigned char>(raw[static_cast<std::size_t>(y) * (stride + 1)]);
    const auto* src = reinterpret_cast<const unsigned char*>(raw.data()) + static_cast<std::size_t>(y) * (stride + 1) + 1;
    std::uint8_t* row = img.data() + static_cast<std::size_t>(y) * stride;
    const std::uint8_t* up = y ? row - stride : nullptr;
    for (std::size_t x = 0; x < stride; ++x) {
      const int a = x >= static_cast<std::size_t>(bpp) ? row[x - static_cast<std::size_t>(bpp)] : 0;
      const int b = up ? up[x] : 0;
      const int c = up && x >= static_cast<std::size_t>(bpp) ? up[x - static_cast<std::size_t>(bpp)] : 0;
      int v = src[x];
      switch (filter) {
        case 0: break;
        case 1: v += a; break;
        case 2: v += b; break;
        case 3: v += (a + b) / 2; break;
        case 4: v += paeth(a, b, c); break;
        default: error = "bad PNG filter"; return false;
      }
      row[x] = static_cast<std::uint8_t>(v);
    }
  }
  rgba.assign(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 4, 255);
  for (std::size_t i = 0; i < static_cast<std::size_t>(width) * static_cast<std::size_t>(height); ++i)
    for (int k = 0; k < bpp; ++k) rgba[i * 4 + static_cast<std::size_t>(k)] = img[i * static_cast<std::size_t>(bpp) + static_cast<std::size_t>(k)];
  return true;
}

}  // namespace sipscope::viewer
