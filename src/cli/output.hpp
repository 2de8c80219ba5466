// Output shared by the commands: formats, files written whole or not at all, text tables.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/files.hpp"

namespace commsim::cli {

using Json = nlohmann::ordered_json;

enum class Format { kText, kJson, kCsv };
Format parseFormat(std::string_view name);

// --format, --json FILE, --csv FILE: what a command prints on stdout and which files it writes.
struct OutputOptions {
  std::string format = "text";
  std::string jsonFile;
  std::string csvFile;

  void add(CLI::App* app);
  // Refuses, before any work, an unknown format or a file that cannot be written.
  Format validate() const;
  // Writes the files, then stdout: `text`, the document as JSON, or the rows as CSV.
  void emit(Format format, const Json& doc, const std::vector<Json>& rows,
            const std::string& text) const;
};

// CSV with a header of the rows' keys (the first row's order); nested values are written as JSON.
std::string toCsv(const std::vector<Json>& rows);

// A text table: header names, right- or left-aligned columns, rows of cells.
class TextTable {
 public:
  struct Column {
    std::string header;
    bool leftAlign = false;
  };
  explicit TextTable(std::vector<Column> columns) : columns_(std::move(columns)) {}
  void add(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  // The header is a comment line ("# ..."), as nccl-tests prints it.
  std::string render() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

std::string fixed(double v, int decimals);
// Bytes in binary units: "8 B", "64 KiB", "1.5 MiB" (one decimal where not whole).
std::string humanBytes(std::uint64_t bytes);

}  // namespace commsim::cli
