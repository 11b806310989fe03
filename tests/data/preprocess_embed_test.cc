// Embedded categorical fields in the preprocessing: which fields are embedded, their
// categories and slots, encoding before and after the tables are set, the JSON form, and
// the errors of the embed options and of bad tables.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "data/preprocess.h"
#include "table_util.h"

namespace ming {
namespace {

using testutil::AllRows;
using testutil::Parse;

Result<Preprocessor> Fit(const CsvTable& t, const FitOptions& o) { return Preprocessor::Fit(t, AllRows(t), o); }

// city: paris x3, rome x2, oslo x1, lima x1, NA x1 (4 distinct values); n: a number.
constexpr std::string_view kCities =
    "n,city,y\n"
    "1,paris,a\n"
    "2,rome,b\n"
    "3,paris,a\n"
    "4,oslo,b\n"
    "5,rome,a\n"
    "6,paris,b\n"
    "7,lima,a\n"
    "8,NA,b\n";

FitOptions Options(int max_categories, const std::string& label = "y") {
  FitOptions o;
  o.label = label;  // from a std::string: GCC 12 warns falsely (-Wrestrict) on o.label = "y"
  o.max_categories = max_categories;
  return o;
}

TEST(PreprocessEmbed, AutoEmbedsFieldsWithMoreValuesThanMaxCategories) {
  const CsvTable t = Parse(kCities);
  Result<Preprocessor> p = Fit(t, Options(3));
  ASSERT_TRUE(p.ok()) << p.status().message();
  const FieldEncoding& city = p->fields()[1];
  // Values seen twice or more are categories (by frequency); oslo and lima, seen once,
  // share the unknown row with unseen values.
  EXPECT_EQ(city.categories, (std::vector<std::string>{"paris", "rome"}));
  EXPECT_TRUE(city.has_missing);
  EXPECT_EQ(city.slots(), 4);  // paris, rome, unknown, missing
  EXPECT_EQ(city.embed_dim, DefaultEmbedDim(4));
  EXPECT_EQ(city.width, city.embed_dim);
  EXPECT_EQ(p->encoded_width(), 1 + city.embed_dim);
  EXPECT_EQ(p->num_embedded(), 1);
  const std::vector<EmbeddingSpec> specs = p->EmbeddingSpecs();
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].column, 1);
  EXPECT_EQ(specs[0].dim, city.embed_dim);
  EXPECT_EQ(specs[0].rows, 4);
  EXPECT_EQ(p->embedding_params(), 4 * city.embed_dim);
  EXPECT_FALSE(p->has_embedding_tables());
  // 4 distinct values do not exceed max_categories 4: one-hot as before.
  Result<Preprocessor> q = Fit(t, Options(4));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->fields()[1].embed_dim, 0);
  EXPECT_EQ(q->num_embedded(), 0);
  // embed_auto off: one-hot over the top 3, the rest "other".
  FitOptions off = Options(3);
  off.embed_auto = false;
  Result<Preprocessor> r = Fit(t, off);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->fields()[1].embed_dim, 0);
  EXPECT_EQ(r->fields()[1].categories, (std::vector<std::string>{"paris", "rome", "lima"}));
}

TEST(PreprocessEmbed, SlotsAndColumnsBeforeAndAfterTheTablesAreSet) {
  const CsvTable t = Parse(kCities);
  FitOptions o = Options(64);
  o.embed = {{"city", 2}};
  Result<Preprocessor> fit = Fit(t, o);
  ASSERT_TRUE(fit.ok()) << fit.status().message();
  Preprocessor p = std::move(fit).value();
  ASSERT_EQ(p.encoded_width(), 3);
  std::vector<float> X(8 * 3, -9.0f);
  std::vector<int32_t> slots(8, -1);
  ASSERT_TRUE(p.EncodeInputs(t, AllRows(t), X.data(), slots.data()).ok());
  EXPECT_EQ(slots, (std::vector<int32_t>{0, 1, 0, 2, 1, 0, 2, 3}));
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(X[i * 3 + 1], 0.0f);  // no tables yet: zeros
    EXPECT_EQ(X[i * 3 + 2], 0.0f);
  }
  const std::vector<float> tables = {1, 2, 3, 4, 5, 6, 7, 8};  // rows paris, rome, unknown, missing
  ASSERT_TRUE(p.SetEmbeddingTables(tables.data(), tables.size()).ok());
  EXPECT_TRUE(p.has_embedding_tables());
  EXPECT_EQ(p.EmbeddingTables(), tables);
  std::vector<float> x(3);
  std::string_view rome[] = {"1", " rome "};
  ASSERT_TRUE(p.EncodeRow(rome, x.data()).ok());
  EXPECT_EQ(x[1], 3.0f);
  EXPECT_EQ(x[2], 4.0f);
  std::string_view unseen[] = {"1", "madrid"};
  int32_t slot = -1;
  ASSERT_TRUE(p.EncodeRow(unseen, x.data(), &slot).ok());
  EXPECT_EQ(slot, 2);
  EXPECT_EQ(x[1], 5.0f);
  EXPECT_EQ(x[2], 6.0f);
  std::string_view missing[] = {"1", "?"};
  ASSERT_TRUE(p.EncodeRow(missing, x.data()).ok());
  EXPECT_EQ(x[1], 7.0f);
  EXPECT_EQ(x[2], 8.0f);
}

TEST(PreprocessEmbed, BadTablesAreRefused) {
  const CsvTable t = Parse(kCities);
  FitOptions o = Options(64);
  o.embed = {{"city", 2}};
  Preprocessor p = Fit(t, o).value();
  std::vector<float> tables(7, 0.5f);
  Status st = p.SetEmbeddingTables(tables.data(), tables.size());
  EXPECT_EQ(st.message(), "embedding tables hold 7 values; the 1 embedded fields need 8");
  tables.resize(8);
  tables[5] = std::numeric_limits<float>::quiet_NaN();
  st = p.SetEmbeddingTables(tables.data(), tables.size());
  EXPECT_EQ(st.message(), "embedding tables: value 5 is not finite");
  EXPECT_FALSE(p.has_embedding_tables());
}

TEST(PreprocessEmbed, OptionErrorsNameTheColumn) {
  const CsvTable t = Parse(kCities);
  auto error = [&](std::vector<std::pair<std::string, int>> embed, std::vector<std::string> ignore = {}) {
    FitOptions o = Options(64);
    o.embed = std::move(embed);
    o.ignore = std::move(ignore);
    Result<Preprocessor> p = Fit(t, o);
    EXPECT_FALSE(p.ok());
    return p.ok() ? std::string("(fitted)") : p.status().message();
  };
  EXPECT_EQ(error({{"n", 0}}), "data.csv: column 'n' is numeric; only categorical fields can be embedded");
  EXPECT_EQ(error({{"y", 0}}), "data.csv: column 'y' is the label; it cannot be embedded");
  EXPECT_EQ(error({{"zip", 0}}).substr(0, 37), "data.csv: no column 'zip' to embed (c");
  EXPECT_EQ(error({{"city", 0}}, {"city"}), "data.csv: column 'city' is ignored; it cannot be embedded");
  EXPECT_EQ(error({{"city", 1025}}), "embedding dimension of 'city' must be in [1, 1024]");
}

TEST(PreprocessEmbed, DefaultDimension) {
  EXPECT_EQ(DefaultEmbedDim(1), 2);     // ceil(1.6)
  EXPECT_EQ(DefaultEmbedDim(10), 6);    // ceil(1.6 * 3.63)
  EXPECT_EQ(DefaultEmbedDim(50), 15);   // ceil(1.6 * 8.94)
  EXPECT_EQ(DefaultEmbedDim(100), 16);  // capped
  EXPECT_EQ(DefaultEmbedDim(100000), 16);
}

TEST(PreprocessEmbed, JsonKeepsTheDimensionAndChecksIt) {
  const CsvTable t = Parse(kCities);
  FitOptions o = Options(64);
  o.embed = {{"city", 3}};
  const Preprocessor p = Fit(t, o).value();
  nlohmann::json j = p.ToJson();
  EXPECT_EQ(j["fields"][1]["embedding_dim"], 3);
  Result<Preprocessor> back = Preprocessor::FromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->fields()[1].embed_dim, 3);
  EXPECT_EQ(back->fields()[1].width, 3);
  EXPECT_EQ(back->EmbeddingSpecs().size(), 1u);
  EXPECT_EQ(back->ToJson(), j);
  auto error = [](nlohmann::json bad) {
    Result<Preprocessor> r = Preprocessor::FromJson(bad);
    return r.ok() ? std::string("(parsed)") : r.status().message();
  };
  nlohmann::json bad = j;
  bad["fields"][1]["embedding_dim"] = 0;
  EXPECT_EQ(error(bad), "preprocessing: field 2: 'embedding_dim' must be in [1, 1024]");
  bad["fields"][1]["embedding_dim"] = 4;  // the width says 3
  EXPECT_EQ(error(bad), "preprocessing: field 2: offset/width 1/3 should be 1/4");
  bad["fields"][1]["embedding_dim"] = "3";
  EXPECT_EQ(error(bad), "preprocessing: field 2: 'embedding_dim' must be an integer");
  bad = j;
  bad["fields"][0]["embedding_dim"] = 3;
  EXPECT_EQ(error(bad), "preprocessing: field 1: a numeric field cannot be embedded");
}

}  // namespace
}  // namespace ming
