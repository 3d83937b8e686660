#include "engine/document_text.h"

#include <string>

#include "engine/text/bm25.h"

namespace otter::engine {
namespace {

void Add(uint32_t field, const std::string& value, std::vector<text::FieldText>* out) {
  if (!value.empty()) out->push_back({field, value});
}

}  // namespace

void TourFieldTexts(const TourRecord& tour, std::vector<text::FieldText>* out) {
  out->clear();
  Add(text::kTourTitle, tour.title, out);
  for (const std::string& tag : tour.tags) Add(text::kTourTags, tag, out);
  Add(text::kTourCategory, tour.category, out);
  Add(text::kTourLocation, tour.city, out);
  Add(text::kTourLocation, tour.country, out);
  Add(text::kTourDescription, tour.description, out);
}

void LeaderFieldTexts(const LeaderRecord& leader, std::vector<text::FieldText>* out) {
  out->clear();
  Add(text::kLeaderName, leader.display_name, out);
  for (const std::string& specialty : leader.specialties) {
    Add(text::kLeaderSpecialties, specialty, out);
  }
  Add(text::kLeaderCity, leader.city, out);
  Add(text::kLeaderBio, leader.bio, out);
}

}  // namespace otter::engine
