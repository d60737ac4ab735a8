// text/utf8.h — UTF-8 decoding and validation used by every text stage (corpus reader, normalizer,
// tokenizer). Invalid input is reported with its byte offset so callers can name file and line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bertforge::text {

// Decodes one code point at s[i]; advances i. Returns false (and advances by 1) on an invalid sequence
// (overlong, surrogate, > U+10FFFF, truncated).
bool utf8_next(std::string_view s, size_t& i, char32_t& cp);

// Appends the UTF-8 encoding of cp.
void utf8_append(std::string& out, char32_t cp);

// Byte offset of the first invalid sequence, or std::string_view::npos when s is valid UTF-8.
size_t utf8_find_invalid(std::string_view s);

// Replaces each invalid sequence with U+FFFD (as Python's errors="replace").
std::string utf8_replace_invalid(std::string_view s);

// Number of code points (valid input assumed).
size_t utf8_length(std::string_view s);

}  // namespace bertforge::text
