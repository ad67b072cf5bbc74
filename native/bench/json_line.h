// json_line.h — the little JSON the worker protocol needs: a flat object of string, number,
// boolean or null values parsed from one command line, strings quoted and number arrays written
// for the replies. Anything else (nesting, trailing text, bad escapes) is an error saying what
// was expected and what was found.
#ifndef JSON_LINE_H
#define JSON_LINE_H

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace json_line {

/** One value of a flat object: a string (is_string, text) or a scalar (text as written; number
 *  parsed when it is one, NaN for true/false/null). */
struct Value {
  bool is_string = false;
  std::string text;
  double number = NAN;
};
using Object = std::map<std::string, Value>;

/** s as a JSON string literal. */
inline std::string quote(const std::string &s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

/** A JSON array of the numbers, each written so that it reads back to the same double (a
 *  non-finite one, which JSON cannot hold, as null). */
inline std::string numbers(const std::vector<double> &xs) {
  std::string out = "[";
  for (size_t i = 0; i < xs.size(); i++) {
    if (i > 0) out += ',';
    if (!std::isfinite(xs[i])) {
      out += "null";
      continue;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", xs[i]);
    out += buf;
  }
  return out + "]";
}

namespace detail {

struct Reader {
  const std::string &s;
  size_t i = 0;

  [[noreturn]] void fail(const std::string &expected) const {
    std::string found = i < s.size() ? "'" + s.substr(i, 1) + "' at column " + std::to_string(i + 1) : "the end of the line";
    throw std::runtime_error("bad JSON command: expected " + expected + ", found " + found + " in " + s);
  }
  void skip() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) i++;
  }
  bool eat(char c) {
    skip();
    if (i < s.size() && s[i] == c) {
      i++;
      return true;
    }
    return false;
  }
  std::string string() {
    if (!eat('"')) fail("a string");
    std::string out;
    while (i < s.size() && s[i] != '"') {
      char c = s[i++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i >= s.size()) fail("an escape");
      char e = s[i++];
      const std::string plain = "\"\\/bfnrt", meant = "\"\\/\b\f\n\r\t";
      size_t k = plain.find(e);
      if (k == std::string::npos) fail("one of the escapes \\\" \\\\ \\/ \\b \\f \\n \\r \\t");
      out += meant[k];
    }
    if (i >= s.size()) fail("a closing '\"'");
    i++;
    return out;
  }
  Value value() {
    skip();
    if (i < s.size() && s[i] == '"') return Value{true, string(), NAN};
    size_t start = i;
    while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ' ' && s[i] != '\t') i++;
    Value v{false, s.substr(start, i - start), NAN};
    if (v.text == "true" || v.text == "false" || v.text == "null") return v;
    char *end = nullptr;
    v.number = std::strtod(v.text.c_str(), &end);
    if (v.text.empty() || end != v.text.c_str() + v.text.size()) {
      i = start;
      fail("a string, number, true, false or null");
    }
    return v;
  }
};

}  // namespace detail

/** The flat JSON object on `line`; throws std::runtime_error naming what it expected. */
inline Object parse_object(const std::string &line) {
  detail::Reader r{line};
  Object out;
  if (!r.eat('{')) r.fail("'{'");
  if (!r.eat('}')) {
    do {
      std::string key = r.string();
      if (!r.eat(':')) r.fail("':'");
      out[key] = r.value();
    } while (r.eat(','));
    if (!r.eat('}')) r.fail("',' or '}'");
  }
  r.skip();
  if (r.i != line.size()) r.fail("the end of the line");
  return out;
}

}  // namespace json_line

#endif
