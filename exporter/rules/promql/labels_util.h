// Label-set operations the evaluator needs on sorted codebot::Labels: hashing (whole set, only
// some names, all but some names), in-place edits that keep the order, and Prometheus' textual
// form for error messages. Hashes are 64-bit and only ever used together with an equality check,
// so a collision can never merge two different label sets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/core/metric.h"

namespace codebot::promql {

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

// {a="b", c="d"} as Prometheus prints label sets.
std::string LabelsToString(const Labels& labels);

// Sorted copy without duplicates.
std::vector<std::string> SortedUnique(std::vector<std::string> names);

}  // namespace codebot::promql
