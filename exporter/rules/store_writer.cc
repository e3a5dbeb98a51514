#include "exporter/rules/store_writer.h"

namespace codebot::rules {

void StoreWriter::Write(const std::string& writer, int64_t t_ms,
                        const std::vector<OutputSample>& samples) {
  std::vector<store::LabeledSample> converted;
  converted.reserve(samples.size());
  for (const auto& sample : samples) converted.push_back({sample.labels, sample.v});
  store_.Write(writer, t_ms, converted);
}

void StoreWriter::Forget(const std::string& writer) { store_.ForgetWriter(writer); }

}  // namespace codebot::rules
