// Invitation generator: determinism, schema, acceptance and missing rates, agreement of the
// labels with the hidden rule (1 - noise, less a little for blanked values).
#include "data/invitations.h"

#include <gtest/gtest.h>

#include "data/schema.h"

namespace ming {
namespace {

CsvTable Generate(int64_t rows, uint64_t seed) {
  Result<CsvTable> t = ParseCsv(GenerateInvitations(rows, seed), "invitations.csv");
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? std::move(t).value() : CsvTable{};
}

TEST(Invitations, Deterministic) {
  EXPECT_EQ(GenerateInvitations(200, 1), GenerateInvitations(200, 1));
  EXPECT_NE(GenerateInvitations(200, 1), GenerateInvitations(200, 2));
  // A longer run starts with the shorter one.
  std::string a = GenerateInvitations(50, 9), b = GenerateInvitations(80, 9);
  EXPECT_EQ(b.substr(0, a.size()), a);
}

TEST(Invitations, Schema) {
  CsvTable t = Generate(2000, 4);
  EXPECT_EQ(t.header,
            (std::vector<std::string>{"holiday", "weather", "temperature", "her_mood", "ill",
                                      "other_plans", "relatives_visiting", "day_of_week", "venue",
                                      "days_since_last", "distance_km", "accepted"}));
  ASSERT_EQ(t.rows(), 2000u);
  for (const char* c : {"holiday", "ill", "other_plans", "relatives_visiting", "accepted"}) {
    EXPECT_EQ(InferType(t, static_cast<size_t>(t.column_index(c)), {}), FieldType::kBoolean) << c;
  }
  for (const char* c : {"temperature", "days_since_last", "distance_km"}) {
    EXPECT_EQ(InferType(t, static_cast<size_t>(t.column_index(c)), {}), FieldType::kNumeric) << c;
  }
  for (const char* c : {"weather", "her_mood", "day_of_week", "venue"}) {
    EXPECT_EQ(InferType(t, static_cast<size_t>(t.column_index(c)), {}), FieldType::kCategorical)
        << c;
  }
  EXPECT_EQ(GenerateInvitations(0, 1).find('\n') + 1, GenerateInvitations(0, 1).size());
}

TEST(Invitations, RatesAndRule) {
  CsvTable t = Generate(20000, 11);
  const size_t acc = static_cast<size_t>(t.column_index("accepted"));
  const size_t temp = static_cast<size_t>(t.column_index("temperature"));
  const size_t mood = static_cast<size_t>(t.column_index("her_mood"));
  double accepted = 0, agree = 0, missing_temp = 0, missing_mood = 0;
  size_t missing_other = 0;
  for (size_t r = 0; r < t.rows(); ++r) {
    bool yes = *ParseBool(t.cell(r, acc));
    accepted += yes;
    agree += yes == InvitationRule(t, r);
    missing_temp += IsMissing(t.cell(r, temp));
    missing_mood += IsMissing(t.cell(r, mood));
    for (size_t c = 0; c < t.cols(); ++c) {
      if (c != temp && c != mood) missing_other += IsMissing(t.cell(r, c));
    }
  }
  const double n = static_cast<double>(t.rows());
  EXPECT_GT(accepted / n, 0.45);
  EXPECT_LT(accepted / n, 0.55);
  EXPECT_GT(missing_temp / n, 0.02);
  EXPECT_LT(missing_temp / n, 0.04);
  EXPECT_GT(missing_mood / n, 0.02);
  EXPECT_LT(missing_mood / n, 0.04);
  EXPECT_EQ(missing_other, 0u);
  EXPECT_DOUBLE_EQ(InvitationLabelNoise(), 0.05);
  EXPECT_GT(agree / n, 0.90);
  EXPECT_LT(agree / n, 0.97);
}

TEST(Invitations, RuleFollowsTheFactors) {
  const std::string header =
      "holiday,weather,temperature,her_mood,ill,other_plans,relatives_visiting,day_of_week,"
      "venue,days_since_last,distance_km,accepted\n";
  Result<CsvTable> t = ParseCsv(header +
                                    "yes,sunny,21.0,good,no,no,no,sat,concert,10,2.0,yes\n"
                                    "yes,sunny,21.0,good,yes,yes,no,sat,concert,10,2.0,yes\n"
                                    "no,stormy,38.0,bad,no,no,yes,mon,park,1,30.0,yes\n"
                                    "no,sunny,,,no,no,no,sat,concert,10,2.0,yes\n",
                                "rule.csv");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_TRUE(InvitationRule(*t, 0));   // an ideal evening
  EXPECT_FALSE(InvitationRule(*t, 1));  // ill and other plans
  EXPECT_FALSE(InvitationRule(*t, 2));  // storm, heat, bad mood, far away
  EXPECT_TRUE(InvitationRule(*t, 3));   // missing values read as 20 degrees, neutral mood
}

}  // namespace
}  // namespace ming
