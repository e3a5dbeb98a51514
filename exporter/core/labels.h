// Operations on sorted label sets (codebot::Labels) that every stage shares: the one label-set
// hash of the program (whole set, only some names, all but some names — the sample store's
// series index, PromQL's matching and grouping, and alert fingerprints all use it), lookups, and
// in-place edits that keep the order. Hashes are 64-bit and only ever used together with an
// equality check, so a collision can never merge two different label sets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/core/metric.h"

namespace codebot {

inline constexpr std::string_view kMetricNameLabel = "__name__";

uint64_t HashLabels(const Labels& labels);
// Only the labels whose names are in `sorted_names` (absent ones are skipped).
uint64_t HashLabelsOn(const Labels& labels, const std::vector<std::string>& sorted_names);
// Every label except those in `sorted_names`.
uint64_t HashLabelsIgnoring(const Labels& labels, const std::vector<std::string>& sorted_names);

bool EqualLabelsOn(const Labels& a, const Labels& b, const std::vector<std::string>& sorted_names);
bool EqualLabelsIgnoring(const Labels& a, const Labels& b,
                         const std::vector<std::string>& sorted_names);

const std::string* FindLabel(const Labels& labels, std::string_view name);
// Removes __name__; returns whether there was one.
bool DropMetricName(Labels* labels);
// Sets name=value, or removes the label when value is empty (an empty label is no label).
void SetLabel(Labels* labels, std::string_view name, std::string_view value);
void DeleteLabel(Labels* labels, std::string_view name);
void KeepOnly(Labels* labels, const std::vector<std::string>& sorted_names);
void DeleteAll(Labels* labels, const std::vector<std::string>& sorted_names);

// Sorted copy without duplicates.
std::vector<std::string> SortedUnique(std::vector<std::string> names);

}  // namespace codebot
