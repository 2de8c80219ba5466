#include "output.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "commsim/error.hpp"

namespace commsim::cli {

Format parseFormat(std::string_view name) {
  if (name == "text") return Format::kText;
  if (name == "json") return Format::kJson;
  if (name == "csv") return Format::kCsv;
  throw UsageError("format: '" + std::string(name) + "' is not known (allowed: text, json, csv)");
}

void OutputOptions::add(CLI::App* app) {
  app->add_option("--format", format, "Output on stdout: text, json or csv")->capture_default_str();
  app->add_option("--json", jsonFile, "Also write the JSON document to this file");
  app->add_option("--csv", csvFile, "Also write the rows as CSV to this file");
}

Format OutputOptions::validate() const {
  const Format f = parseFormat(format);
  if (!jsonFile.empty()) ensureWritable(jsonFile, "--json");
  if (!csvFile.empty()) ensureWritable(csvFile, "--csv");
  return f;
}

void OutputOptions::emit(Format f, const Json& doc, const std::vector<Json>& rows,
                         const std::string& text) const {
  if (!jsonFile.empty()) writeFileAtomically(jsonFile, doc.dump(2) + "\n");
  if (!csvFile.empty()) writeFileAtomically(csvFile, toCsv(rows));
  switch (f) {
    case Format::kText: std::cout << text; break;
    case Format::kJson: std::cout << doc.dump(2) << '\n'; break;
    case Format::kCsv: std::cout << toCsv(rows); break;
  }
  std::cout.flush();
}

namespace {
std::string csvCell(const Json& v) {
  std::string text = v.is_string() ? v.get<std::string>() : v.dump();
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}
}  // namespace

std::string toCsv(const std::vector<Json>& rows) {
  if (rows.empty()) return "";
  std::ostringstream os;
  std::vector<std::string> keys;
  for (const auto& [key, value] : rows.front().items()) keys.push_back(key);
  for (std::size_t i = 0; i < keys.size(); ++i) os << (i ? "," : "") << keys[i];
  os << '\n';
  for (const Json& row : rows) {
    for (std::size_t i = 0; i < keys.size(); ++i)
      os << (i ? "," : "") << (row.contains(keys[i]) ? csvCell(row[keys[i]]) : "");
    os << '\n';
  }
  return os.str();
}

namespace {
// Display width of UTF-8 text: counts code points, not bytes.
std::size_t width(const std::string& s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}
}  // namespace

std::string TextTable::render() const {
  std::vector<std::size_t> w(columns_.size());
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    w[c] = width(columns_[c].header);
    for (const auto& row : rows_) w[c] = std::max(w[c], width(row[c]));
  }
  std::ostringstream os;
  auto line = [&](const std::vector<std::string>& cells, const char* lead) {
    std::string text = lead;
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      const std::string pad(w[c] - width(cells[c]), ' ');
      text += (c ? "  " : "") + (columns_[c].leftAlign ? cells[c] + pad : pad + cells[c]);
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    os << text << '\n';
  };
  std::vector<std::string> headers;
  for (const auto& col : columns_) headers.push_back(col.header);
  line(headers, "# ");
  for (const auto& row : rows_) line(row, "  ");
  return os.str();
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string humanBytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  double v = static_cast<double>(bytes);
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  const bool whole = v == std::floor(v);
  return (whole ? std::to_string(static_cast<std::uint64_t>(v)) : fixed(v, 1)) + " " + units[u];
}

}  // namespace commsim::cli
