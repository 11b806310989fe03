// Malformed model files against ParseModel/LoadModel: sweeps (every truncation, seeded
// single-bit flips, zeroed blocks, with and without the checksums fixed up) and named cases
// for each header, table, META, weight and preprocessing field. Every case must end in a
// clean InvalidInput naming the file and the part at fault, with memory bounded by the
// file's size: global operator new is replaced here (for this test binary) by a counting
// pass-through that records the peak bytes live during each parse.
#include <gtest/gtest.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <new>

#include "bytes_util.h"
#include "compress/quantize.h"
#include "format/container.h"
#include "runtime/model_file.h"
#include "runtime/model_impl.h"
#include "train/evaluate.h"
#include "train/pipeline.h"
#include "util/file.h"
#include "util/rng.h"

// The replacement new/delete pairs both use malloc/free, which GCC cannot see across inlining.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<int64_t> g_live{0}, g_peak{0};

void* Counted(void* p) {
  if (!p) throw std::bad_alloc();
  const int64_t now = g_live.fetch_add(static_cast<int64_t>(malloc_usable_size(p))) +
                      static_cast<int64_t>(malloc_usable_size(p));
  int64_t peak = g_peak.load(std::memory_order_relaxed);
  while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
  }
  return p;
}
void Uncounted(void* p) {
  if (p) g_live.fetch_sub(static_cast<int64_t>(malloc_usable_size(p)));
  std::free(p);
}
}  // namespace

void* operator new(std::size_t n) { return Counted(std::malloc(n ? n : 1)); }
void* operator new[](std::size_t n) { return Counted(std::malloc(n ? n : 1)); }
void* operator new(std::size_t n, std::align_val_t a) {
  const auto al = static_cast<std::size_t>(a);
  return Counted(std::aligned_alloc(al, (n + al - 1) / al * al + (n ? 0 : al)));
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { Uncounted(p); }
void operator delete[](void* p) noexcept { Uncounted(p); }
void operator delete(void* p, std::size_t) noexcept { Uncounted(p); }
void operator delete[](void* p, std::size_t) noexcept { Uncounted(p); }
void operator delete(void* p, std::align_val_t) noexcept { Uncounted(p); }
void operator delete[](void* p, std::align_val_t) noexcept { Uncounted(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { Uncounted(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { Uncounted(p); }

namespace ming {
namespace {

using nlohmann::json;
using namespace testbytes;
constexpr char kBadName[] = "bad.ming";

// The slowest parse and the largest allocation peak seen over every case in this file.
struct Worst {
  double seconds = 0.0;
  std::string slowest;
  double small_seconds = 0.0;  // the slowest among files under 64 KiB (the model cases)
  std::string small_slowest;
  int64_t peak = 0;
  size_t peak_file = 0;
  std::string biggest;
  double ratio = 0.0;  // the largest peak / file size among files over 64 KiB
  int64_t parses = 0;
};
Worst g_worst;

class ReportWorst : public testing::Environment {
 public:
  void TearDown() override {
    std::printf(
        "[model-malformed] %lld parses; slowest %.3f ms (%s); slowest under 64 KiB "
        "%.3f ms (%s); largest peak %lld bytes for a %zu-byte file (%s); largest "
        "peak/size over 64 KiB files %.2f\n",
        static_cast<long long>(g_worst.parses), g_worst.seconds * 1e3, g_worst.slowest.c_str(),
        g_worst.small_seconds * 1e3, g_worst.small_slowest.c_str(),
        static_cast<long long>(g_worst.peak), g_worst.peak_file, g_worst.biggest.c_str(),
        g_worst.ratio);
  }
};
testing::Environment* const g_report = testing::AddGlobalTestEnvironment(new ReportWorst);

// Memory a parse may take: the copy of every section and its decoded arrays (about 2x the
// file), the JSON tree of META (nlohmann spends 16 bytes a value and a heap block for each
// array, object and long string: up to ~32x the text for "[{},{},...]"), and a constant for
// the preprocessing's maps and a layer's bias. Never anything sized by a declared dimension.
int64_t AllowedPeak(size_t file_bytes) { return 40 * static_cast<int64_t>(file_bytes) + (1 << 20); }

// ParseModel under the clock and the allocation counter; checks the peak.
Result<ModelData> Parse(std::string_view bytes, const std::string& what) {
  const int64_t base = g_live.load();
  g_peak.store(base);
  auto t0 = std::chrono::steady_clock::now();
  Result<ModelData> r = ParseModel(bytes, kBadName);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const int64_t peak = g_peak.load() - base;
  // On a shared machine one slow sample is usually a preemption: time slow cases again and
  // keep the fastest of three.
  for (int again = 0; again < 2 && s > 0.002; ++again) {
    t0 = std::chrono::steady_clock::now();
    (void)ParseModel(bytes, kBadName);
    s = std::min(s, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  ++g_worst.parses;
  if (s > g_worst.seconds) {
    g_worst.seconds = s;
    g_worst.slowest = what;
  }
  if (bytes.size() < (1 << 16) && s > g_worst.small_seconds) {
    g_worst.small_seconds = s;
    g_worst.small_slowest = what;
  }
  if (peak > g_worst.peak) {
    g_worst.peak = peak;
    g_worst.peak_file = bytes.size();
    g_worst.biggest = what;
  }
  if (bytes.size() > (1 << 16)) {
    g_worst.ratio =
        std::max(g_worst.ratio, static_cast<double>(peak) / static_cast<double>(bytes.size()));
  }
  EXPECT_LE(peak, AllowedPeak(bytes.size())) << what << ": " << bytes.size() << "-byte file";
  return r;
}

// A clean error: InvalidInput, naming the file first.
::testing::AssertionResult CleanError(const Result<ModelData>& r) {
  if (r.ok()) return ::testing::AssertionFailure() << "accepted";
  if (r.status().code() != StatusCode::kInvalidInput)
    return ::testing::AssertionFailure()
           << "code " << static_cast<int>(r.status().code()) << ": " << r.status().message();
  if (r.status().message().rfind(std::string(kBadName) + ": ", 0) != 0)
    return ::testing::AssertionFailure() << "does not name the file: " << r.status().message();
  return ::testing::AssertionSuccess();
}

// Runs an accepted model on one row of zeros, and encodes rows of missing and of unseen
// cells (which read the unknown and missing rows of embedding tables): nothing may crash
// (ASan checks the reads).
void RunOneRow(const ModelData& m) {
  std::vector<float> x(static_cast<size_t>(m.net.inputs)), out(static_cast<size_t>(m.net.outputs));
  RunPlan(MakePlan(m), x.data(), 1, out.data(), 1);
  for (std::string_view cell : {"", "never-seen"}) {
    const std::vector<std::string_view> raw(m.pre.fields().size(), cell);
    (void)m.pre.EncodeRow(raw.data(), x.data());
  }
}

// ---- The models ----------------------------------------------------------------------------

std::string SmallCsv() {
  Rng rng(7);
  std::string s = "temp,rain,venue,y\n";
  const char* venues[] = {"park", "cinema", "museum"};
  for (int i = 0; i < 160; ++i) {
    const double t = 10 + 20 * rng.UniformDouble();
    const bool rain = rng.Uniform() < 0.3f;
    const int v = static_cast<int>(rng.UniformInt(3));
    const bool yes = t > 18 && !rain;
    s += (i % 17 == 0 ? std::string("") : std::to_string(t)) + "," + (rain ? "yes" : "no") + "," +
         venues[v] + "," + (yes ? "yes" : "no") + "\n";
  }
  return s;
}

struct Models {
  std::string trained, frozen, sparse, int8, embedded;  // serialised
  ModelData frozen_data;
};
Models* g_models = nullptr;

ModelData Train(const std::string& csv, Norm norm, std::vector<int> hidden,
                std::vector<std::pair<std::string, int>> embed = {}) {
  PipelineOptions o = DefaultPipelineOptions();
  o.data_path = csv;
  o.fit.label = "y";
  o.fit.embed = std::move(embed);
  o.train.epochs = 2;
  o.train.net.hidden = std::move(hidden);
  o.train.net.norm = norm;
  o.train.threads = 1;
  o.train.batch_size = 32;
  auto r = RunPipeline(o, {});
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r->model : ModelData();
}

class ModelMalformed : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (g_models) return;
    const std::string dir =
        testing::TempDir() + "/ming_model_malformed_" + std::to_string(::getpid());
    ASSERT_TRUE(MakeDirs(dir).ok());
    const std::string csv = dir + "/small.csv";
    ASSERT_TRUE(WriteFileAtomic(csv, SmallCsv()).ok());
    auto* m = new Models;
    // Trained with batch norm (PARM + BUFS), and a layer-norm one frozen (N### sections).
    const ModelData bn = Train(csv, Norm::kBatch, {16, 4});
    const ModelData ln = Train(csv, Norm::kLayer, {16, 4});
    m->trained = SerializeModel(bn);
    m->frozen_data = FreezeModel(ln);
    m->frozen_data.background.clear();
    m->frozen = SerializeModel(m->frozen_data);
    // Layer 0 stored sparse: 5 of its 7 x 16 weights kept per output at most.
    ModelData sp = m->frozen_data;
    FrozenLayer& L = sp.layers[0];
    for (size_t k = 0; k < L.W.size(); ++k) L.W[k] = (k % 3 == 0) ? L.W[k] : 0.0f;
    L.sparse = MakeSparse(L.W.data(), L.IC, L.OC);
    L.W.clear();
    L.form = WeightForm::kSparse;
    m->sparse = SerializeModel(sp);
    auto table = ReadCsv(csv);
    ASSERT_TRUE(table.ok());
    auto data = EncodeDataset(bn.pre, *table, AllRows(*table));
    ASSERT_TRUE(data.ok());
    ModelData small_bn = FreezeModel(bn);
    small_bn.background.clear();
    auto q = QuantizeModel(small_bn, data->X.data(), 64, data->features);
    ASSERT_TRUE(q.ok()) << q.status().message();
    m->int8 = SerializeModel(*q);
    // venue embedded in 3 dimensions (section EMBD: 4 rows of 3), frozen.
    ModelData emb = FreezeModel(Train(csv, Norm::kNone, {8}, {{"venue", 3}}));
    emb.background.clear();
    m->embedded = SerializeModel(emb);
    std::filesystem::remove_all(dir);
    g_models = m;
  }
  static const std::string& trained() { return g_models->trained; }
  static const std::string& frozen() { return g_models->frozen; }
  static const std::string& sparse() { return g_models->sparse; }
  static const std::string& int8() { return g_models->int8; }
  static const std::string& embedded() { return g_models->embedded; }
  static std::vector<std::pair<const char*, const std::string*>> All() {
    return {{"trained", &g_models->trained},
            {"frozen", &g_models->frozen},
            {"sparse", &g_models->sparse},
            {"int8", &g_models->int8},
            {"embedded", &g_models->embedded}};
  }
};

// ---- Editing helpers: change a part, re-serialise so every checksum is right again --------

std::string Edit(const std::string& bytes, const std::function<void(Container&)>& fn) {
  auto c = ParseContainer(bytes, "edit");
  EXPECT_TRUE(c.ok()) << c.status().message();
  if (!c.ok()) return "";
  fn(*c);
  return SerializeContainer(*c);
}

Section* Find(Container& c, const std::string& tag) {
  for (Section& s : c.sections)
    if (s.tag == tag) return &s;
  ADD_FAILURE() << "no section " << tag;
  static Section none;
  return &none;
}

std::string EditSection(const std::string& bytes, const std::string& tag,
                        const std::function<void(std::string&)>& fn) {
  return Edit(bytes, [&](Container& c) { fn(Find(c, tag)->bytes); });
}

std::string EditMeta(const std::string& bytes, const std::function<void(json&)>& fn) {
  return EditSection(bytes, "META", [&](std::string& s) {
    json j = json::parse(s);
    fn(j);
    s = j.dump();
  });
}

// Expects a clean error whose message holds `fragment`.
#define EXPECT_REJECTED(bytes, fragment)                                          \
  do {                                                                            \
    const std::string b_ = (bytes);                                               \
    Result<ModelData> r_ =                                                        \
        Parse(b_, testing::UnitTest::GetInstance()->current_test_info()->name()); \
    ASSERT_TRUE(CleanError(r_)) << "wanted: " << (fragment);                      \
    EXPECT_NE(r_.status().message().find(fragment), std::string::npos)            \
        << "message: " << r_.status().message() << "\nwanted: " << (fragment);    \
  } while (0)

constexpr size_t kEntry0 = 32;  // the section table; entries are 24 bytes

// Index of section `tag` in the file's table.
size_t EntryOf(const std::string& b, const std::string& tag) {
  const uint32_t n = GetU32(b, 16);
  for (size_t i = 0; i < n; ++i)
    if (b.compare(kEntry0 + 24 * i, 4, tag) == 0) return kEntry0 + 24 * i;
  ADD_FAILURE() << "no entry " << tag;
  return kEntry0;
}

// ---- The models are valid ----------------------------------------------------------------

TEST_F(ModelMalformed, SampleModelsLoadAndAreSmall) {
  for (const auto& [what, b] : All()) {
    Result<ModelData> m = Parse(*b, what);
    ASSERT_TRUE(m.ok()) << what << ": " << m.status().message();
    RunOneRow(*m);
    EXPECT_LT(b->size(), 16384u) << what;
    std::printf("[model-malformed] %s model: %zu bytes\n", what, b->size());
  }
  auto sp = ParseModel(sparse(), kBadName);
  ASSERT_TRUE(sp.ok());
  EXPECT_EQ(sp->layers[0].form, WeightForm::kSparse);
  auto q = ParseModel(int8(), kBadName);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->layers[0].form, WeightForm::kInt8);
  EXPECT_FALSE(ParseModel(frozen(), kBadName)->layers[0].gamma.empty());
}

// ---- Sweeps --------------------------------------------------------------------------------

TEST_F(ModelMalformed, EveryTruncationAtEveryByte) {
  for (const auto& [what, b] : All()) {
    for (size_t len = 0; len < b->size(); ++len) {
      Result<ModelData> r = Parse(std::string_view(*b).substr(0, len), what);
      ASSERT_TRUE(CleanError(r)) << what << " cut to " << len;
    }
  }
}

TEST_F(ModelMalformed, TenThousandSingleBitFlipsPerModel) {
  // CRC-32 catches every single-bit error: none of these may load.
  Rng rng(2024);
  for (const auto& [what, b] : All()) {
    std::string m = *b;
    for (int i = 0; i < 10000; ++i) {
      const uint64_t bit = rng.UniformInt(8 * m.size());
      m[bit / 8] ^= static_cast<char>(1 << (bit % 8));
      Result<ModelData> r = Parse(m, what);
      ASSERT_TRUE(CleanError(r)) << what << ": bit " << bit;
      m[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    }
  }
}

TEST_F(ModelMalformed, ZeroedBlocks) {
  for (const auto& [what, b] : All()) {
    for (size_t size : {1, 4, 16, 64, 512}) {
      for (size_t off = 0; off < b->size(); off += std::max<size_t>(size / 2, 3)) {
        std::string m = *b;
        const size_t n = std::min(size, m.size() - off);
        if (m.compare(off, n, std::string(n, '\0')) == 0) continue;  // already zero: unchanged
        std::fill_n(m.begin() + static_cast<ptrdiff_t>(off), n, '\0');
        Result<ModelData> r = Parse(m, what);
        ASSERT_TRUE(CleanError(r)) << what << ": " << size << " bytes at " << off;
      }
    }
  }
}

// With every checksum made right again the damage reaches the semantic checks: each result
// is a clean error or a model that runs.
TEST_F(ModelMalformed, BitFlipsAndZeroedBlocksInsideSectionsWithChecksumsFixed) {
  Rng rng(99);
  int64_t rejected = 0, accepted = 0;
  for (const auto& [what, b] : All()) {
    auto c = ParseContainer(*b, what);
    ASSERT_TRUE(c.ok());
    for (int i = 0; i < 1500; ++i) {
      Container d = *c;
      Section& s = d.sections[rng.UniformInt(d.sections.size())];
      if (s.bytes.empty()) continue;
      if (i % 3 == 2) {
        const size_t off = rng.UniformInt(s.bytes.size());
        const size_t n = std::min<size_t>(1 + rng.UniformInt(16), s.bytes.size() - off);
        std::fill_n(s.bytes.begin() + static_cast<ptrdiff_t>(off), n, '\0');
      } else {
        const uint64_t bit = rng.UniformInt(8 * s.bytes.size());
        s.bytes[bit / 8] ^= static_cast<char>(1 << (bit % 8));
      }
      Result<ModelData> r = Parse(SerializeContainer(d), std::string(what) + " fixed-up " + s.tag);
      if (r.ok()) {
        ++accepted;
        RunOneRow(*r);
      } else {
        ++rejected;
        ASSERT_TRUE(CleanError(r)) << what << " " << s.tag;
      }
    }
  }
  std::printf("[model-malformed] fixed-up damage: %lld rejected, %lld accepted (and ran)\n",
              static_cast<long long>(rejected), static_cast<long long>(accepted));
  EXPECT_GT(rejected, 0);
}

// ---- Header and table ----------------------------------------------------------------------

TEST_F(ModelMalformed, WrongMagic) {
  std::string b = trained();
  b[0] = 'X';
  EXPECT_REJECTED(b, "bad.ming: not a ming file (bad magic)");
}

TEST_F(ModelMalformed, TextModeCopy) {
  std::string b = trained();
  b[4] = '\n';
  EXPECT_REJECTED(b, "text-mode copy");
}

TEST_F(ModelMalformed, WrongVersion) {
  for (uint32_t v : {0u, 2u, 0xFFFFFFFFu}) {
    std::string b = trained();
    SetU32(b, 8, v);
    FixTrailer(b);
    EXPECT_REJECTED(b, "format version " + std::to_string(v) + ", this build reads 1");
  }
}

TEST_F(ModelMalformed, WrongFileKind) {
  std::string b = trained();
  SetU32(b, 12, 7);
  FixTrailer(b);
  EXPECT_REJECTED(b, "unknown file kind 7");
}

TEST_F(ModelMalformed, CheckpointInsteadOfAModel) {
  EXPECT_REJECTED(Edit(trained(), [](Container& c) { c.kind = FileKind::kCheckpoint; }),
                  "is a training checkpoint, not a model");
}

TEST_F(ModelMalformed, ReservedFieldSet) {
  std::string b = trained();
  SetU32(b, 20, 1);
  FixTrailer(b);
  EXPECT_REJECTED(b, "reserved header field");
}

TEST_F(ModelMalformed, TrailingData) { EXPECT_REJECTED(trained() + "x", "trailing data"); }

TEST_F(ModelMalformed, DeclaredLengthHuge) {
  std::string b = trained();
  SetU64(b, 24, ~uint64_t{0});
  FixTrailer(b);
  EXPECT_REJECTED(b, "truncated: header says 18446744073709551615 bytes");
}

TEST_F(ModelMalformed, SectionCountHuge) {
  std::string b = trained();
  SetU32(b, 16, 0xFFFFFFFFu);
  FixTrailer(b);
  EXPECT_REJECTED(b, "section count 4294967295 needs a");
}

TEST_F(ModelMalformed, SectionOffsetPlusSizeOverflows) {
  std::string b = trained();
  const size_t e = EntryOf(b, "PARM");
  SetU64(b, e + 8, ~uint64_t{0} - 63);
  SetU64(b, e + 16, 128);
  FixTrailer(b);
  EXPECT_REJECTED(b, "section 'PARM': offset 18446744073709551552 + size 128 overflows");
}

TEST_F(ModelMalformed, SectionSizeHuge) {
  std::string b = trained();
  SetU64(b, EntryOf(b, "PARM") + 16, uint64_t{1} << 62);
  FixTrailer(b);
  EXPECT_REJECTED(b, "section 'PARM' needs bytes");
}

TEST_F(ModelMalformed, SectionOffsetBeyondTheFile) {
  std::string b = trained();
  SetU64(b, EntryOf(b, "BUFS") + 8, uint64_t{1} << 40);
  FixTrailer(b);
  EXPECT_REJECTED(b, "beyond the end of the file");
}

TEST_F(ModelMalformed, SectionOffsetInsideTheTable) {
  std::string b = trained();
  SetU64(b, EntryOf(b, "META") + 8, 0);
  FixTrailer(b);
  EXPECT_REJECTED(b, "overlaps the header and section table");
}

TEST_F(ModelMalformed, SectionOffsetMisaligned) {
  std::string b = trained();
  const size_t e = EntryOf(b, "PARM");
  SetU64(b, e + 8, GetU32(b, e + 8) + 4);
  SetU64(b, e + 16, GetU32(b, e + 16) - 4);
  FixTrailer(b);
  EXPECT_REJECTED(b, "is not a multiple of 64");
}

TEST_F(ModelMalformed, SectionsOverlap) {
  std::string b = trained();
  const size_t meta = EntryOf(b, "META"), parm = EntryOf(b, "PARM");
  SetU64(b, parm + 8, GetU32(b, meta + 8));
  FixTrailer(b);
  EXPECT_REJECTED(b, "overlaps section 'META'");
}

TEST_F(ModelMalformed, DuplicateSections) {
  std::string b = trained();
  std::memcpy(&b[EntryOf(b, "BUFS")], "PARM", 4);
  FixTrailer(b);
  EXPECT_REJECTED(b, "duplicate section tag 'PARM'");
}

TEST_F(ModelMalformed, UnprintableTag) {
  std::string b = trained();
  b[EntryOf(b, "BUFS")] = '\x01';
  FixTrailer(b);
  EXPECT_REJECTED(b, "tag '\\x01UFS' is not printable ASCII");
}

TEST_F(ModelMalformed, FileChecksumWrong) {
  std::string b = trained();
  b[b.size() - 1] ^= 1;
  EXPECT_REJECTED(b, "checksum mismatch: file is corrupted");
}

TEST_F(ModelMalformed, SectionChecksumWrong) {
  std::string b = trained();
  const size_t e = EntryOf(b, "PARM");
  b[GetU32(b, e + 8)] ^= 1;
  FixTrailer(b);
  EXPECT_REJECTED(b, "section 'PARM': checksum mismatch");
}

// ---- META ----------------------------------------------------------------------------------

TEST_F(ModelMalformed, MetaMissing) {
  EXPECT_REJECTED(Edit(trained(), [](Container& c) { Find(c, "META")->tag = "XXXX"; }),
                  "missing section META");
}

TEST_F(ModelMalformed, MetaNotJson) {
  EXPECT_REJECTED(EditSection(trained(), "META", [](std::string& s) { s = "{\"format\": ming"; }),
                  "bad.ming: META: [json.exception.parse_error");
}

TEST_F(ModelMalformed, MetaNotUtf8) {
  EXPECT_REJECTED(EditSection(trained(), "META", [](std::string& s) { s[10] = '\xFF'; }),
                  "bad.ming: META:");
}

TEST_F(ModelMalformed, MetaNotAnObject) {
  EXPECT_REJECTED(EditSection(trained(), "META", [](std::string& s) { s = "[1, 2]"; }),
                  "META is not a ming model description");
}

TEST_F(ModelMalformed, MetaEmpty) {
  EXPECT_REJECTED(EditSection(trained(), "META", [](std::string& s) { s.clear(); }), "META:");
}

TEST_F(ModelMalformed, MetaNestedVeryDeep) {
  std::string b = EditSection(trained(), "META", [](std::string& s) {
    s.insert(1, "\"deep\": " + std::string(100000, '[') + std::string(100000, ']') + ",");
  });
  EXPECT_REJECTED(b, "bad.ming: META: JSON nested deeper than 64 levels");
}

// The JSON tree costs more than its text (nlohmann: 16 bytes a value, plus a heap block per
// array or object): the worst shapes, about 1 MB each, still load within AllowedPeak.
TEST_F(ModelMalformed, MetaLargeCostsABoundedMultipleOfItsSize) {
  for (const char* item : {"0", "[]", "{}", "\"\""}) {
    std::string list;
    for (int i = 0; i < 300000; ++i) list += std::string(i ? "," : "") + item;
    const std::string b = EditSection(
        trained(), "META", [&](std::string& s) { s.insert(1, "\"junk\": [" + list + "],"); });
    Result<ModelData> r = Parse(b, std::string("300,000 x ") + item);
    ASSERT_TRUE(r.ok()) << r.status().message();
  }
  std::string keys;
  for (int i = 0; i < 100000; ++i) keys += (i ? ",\"" : "\"") + std::to_string(i) + "\":0";
  const std::string b = EditSection(
      trained(), "META", [&](std::string& s) { s.insert(1, "\"junk\": {" + keys + "},"); });
  ASSERT_TRUE(Parse(b, "100,000 keys").ok());
}

TEST_F(ModelMalformed, MetaBracketsInsideStringsAreNotNesting) {
  const std::string b = EditMeta(trained(), [](json& j) { j["note"] = std::string(5000, '['); });
  Result<ModelData> r = Parse(b, "brackets in a string");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->info["note"].get<std::string>().size(), 5000u);
}

TEST_F(ModelMalformed, MetaFormateWrong) {
  EXPECT_REJECTED(EditMeta(trained(), [](json& j) { j["format"] = "onnx"; }),
                  "META is not a ming model description");
}

TEST_F(ModelMalformed, MetaFormNotAString) {
  EXPECT_REJECTED(EditMeta(frozen(), [](json& j) { j["form"] = 5; }), "bad.ming: META:");
}

TEST_F(ModelMalformed, MetaFormUnknown) {
  EXPECT_REJECTED(EditMeta(frozen(), [](json& j) { j["form"] = "melted"; }),
                  "META: unknown form 'melted' (trained or frozen)");
}

TEST_F(ModelMalformed, ThresholdOutOfRangeOrMissing) {
  EXPECT_REJECTED(EditMeta(trained(), [](json& j) { j["threshold"] = 1.5; }),
                  "threshold outside (0, 1)");
  EXPECT_REJECTED(EditMeta(trained(), [](json& j) { j["threshold"] = "high"; }), "META:");
  EXPECT_REJECTED(EditMeta(trained(), [](json& j) { j.erase("threshold"); }), "META:");
}

TEST_F(ModelMalformed, NetworkOrPreprocessingMissing) {
  EXPECT_REJECTED(EditMeta(trained(), [](json& j) { j.erase("network"); }),
                  "META lacks preprocessing or network");
  EXPECT_REJECTED(EditMeta(trained(), [](json& j) { j.erase("preprocessing"); }),
                  "META lacks preprocessing or network");
}

// ---- Network description -------------------------------------------------------------------

TEST_F(ModelMalformed, ActivationUnknown) {
  EXPECT_REJECTED(EditMeta(trained(), [](json& j) { j["network"]["activation"] = "swish"; }),
                  "bad.ming: network: unknown activation 'swish'");
}

TEST_F(ModelMalformed, NormUnknown) {
  EXPECT_REJECTED(EditMeta(trained(), [](json& j) { j["network"]["norm"] = 3; }),
                  "bad.ming: network: 'norm' must be a string");
}

TEST_F(ModelMalformed, LossUnknown) {
  EXPECT_REJECTED(EditMeta(trained(), [](json& j) { j["network"]["loss"] = "hinge"; }),
                  "network: unknown loss 'hinge'");
}

TEST_F(ModelMalformed, HugeDeclaredInputs) {
  for (int64_t n : {int64_t{1} << 31, (int64_t{1} << 32) + 7, int64_t{-7}, int64_t{0}}) {
    EXPECT_REJECTED(EditMeta(trained(), [&](json& j) { j["network"]["inputs"] = n; }),
                    "network: inputs " + std::to_string(n) + " is outside 1..1048576");
  }
}

TEST_F(ModelMalformed, HugeDeclaredHiddenWidth) {
  EXPECT_REJECTED(
      EditMeta(trained(), [](json& j) { j["network"]["hidden"][0] = int64_t{1} << 31; }),
      "network: hidden width 1 2147483648 is outside 1..65536");
  EXPECT_REJECTED(
      EditMeta(trained(), [](json& j) { j["network"]["hidden"][1] = (int64_t{1} << 32) + 4; }),
      "network: hidden width 2 4294967300 is outside 1..65536");
  EXPECT_REJECTED(EditMeta(trained(), [](json& j) { j["network"]["hidden"][1] = 2.5; }),
                  "network: hidden width 2 must be an integer");
}

TEST_F(ModelMalformed, TooManyHiddenLayers) {
  EXPECT_REJECTED(
      EditMeta(trained(), [](json& j) { j["network"]["hidden"] = std::vector<int>(65, 4); }),
      "network: more than 64 hidden layers");
}

TEST_F(ModelMalformed, NetworkFloatDoesNotFitAFloat) {
  EXPECT_REJECTED(EditMeta(trained(), [](json& j) { j["network"]["norm_eps"] = 1e300; }),
                  "network: 'norm_eps' 1e+300 does not fit a float");
  EXPECT_REJECTED(EditMeta(trained(), [](json& j) { j["network"]["dropout"] = 1.5; }),
                  "network: dropout 1.5");
}

TEST_F(ModelMalformed, NetworkInputsDisagreeWithPreprocessing) {
  EXPECT_REJECTED(EditMeta(trained(), [](json& j) { j["network"]["inputs"] = 9; }),
                  "network has 9 inputs and 1 outputs, preprocessing gives 7 and 1");
}

TEST_F(ModelMalformed, NetworkOutputsDisagreeWithTheLabel) {
  EXPECT_REJECTED(EditMeta(trained(),
                           [](json& j) {
                             j["network"]["outputs"] = 3;
                             j["network"]["loss"] = "cross_entropy";
                           }),
                  "network has 7 inputs and 3 outputs, preprocessing gives 7 and 1");
}

// ---- Trained weights -----------------------------------------------------------------------

TEST_F(ModelMalformed, ParametersOneFloatShort) {
  EXPECT_REJECTED(EditSection(trained(), "PARM", [](std::string& s) { s.resize(s.size() - 4); }),
                  "bad.ming: PARM has");
}

TEST_F(ModelMalformed, ParametersMissing) {
  EXPECT_REJECTED(Edit(trained(), [](Container& c) { Find(c, "PARM")->tag = "PARX"; }),
                  "missing section PARM or BUFS");
}

TEST_F(ModelMalformed, BuffersWrongSize) {
  EXPECT_REJECTED(EditSection(trained(), "BUFS", [](std::string& s) { s += "abcd"; }),
                  "bad.ming: BUFS has");
}

TEST_F(ModelMalformed, NanWeight) {
  EXPECT_REJECTED(
      EditSection(trained(), "PARM", [](std::string& s) { SetF32(s, 8, std::nanf("")); }),
      "bad.ming: PARM: value 2 is NaN");
}

TEST_F(ModelMalformed, InfWeight) {
  EXPECT_REJECTED(
      EditSection(trained(), "PARM", [](std::string& s) { SetF32(s, s.size() - 4, -HUGE_VALF); }),
      "is -inf");
}

TEST_F(ModelMalformed, NanBatchNormStatistic) {
  EXPECT_REJECTED(
      EditSection(trained(), "BUFS", [](std::string& s) { SetF32(s, 0, std::nanf("")); }),
      "bad.ming: BUFS: value 0 is NaN");
}

TEST_F(ModelMalformed, BackgroundRowsRagged) {
  EXPECT_REJECTED(EditSection(trained(), "BKGD", [](std::string& s) { s.resize(s.size() - 4); }),
                  "BKGD has");
}

TEST_F(ModelMalformed, BackgroundNan) {
  EXPECT_REJECTED(
      EditSection(trained(), "BKGD", [](std::string& s) { SetF32(s, 4, std::nanf("")); }),
      "BKGD: value 1 is NaN");
}

TEST_F(ModelMalformed, CalibrationBroken) {
  EXPECT_REJECTED(EditMeta(trained(),
                           [](json& j) {
                             j["calibration"] = {{"method", "magic"}};
                           }),
                  "bad.ming: calibration: unknown method 'magic'");
  EXPECT_REJECTED(
      EditMeta(trained(),
               [](json& j) {
                 j["calibration"] = {{"method", "platt"}, {"scale", -1.0}, {"shift", 0.0}};
               }),
      "calibration: scale must be finite and > 0");
}

// ---- Embedding tables ----------------------------------------------------------------------

TEST_F(ModelMalformed, EmbeddingTablesMissing) {
  EXPECT_REJECTED(Edit(embedded(), [](Container& c) { std::erase_if(c.sections, [](const Section& s) { return s.tag == "EMBD"; }); }),
                  "bad.ming: missing section EMBD (the embedding tables)");
}

TEST_F(ModelMalformed, EmbeddingTablesWrongSize) {
  EXPECT_REJECTED(EditSection(embedded(), "EMBD", [](std::string& s) { s.resize(s.size() - 4); }),
                  "bad.ming: EMBD has 44 bytes; the embedded fields need 48");
  EXPECT_REJECTED(EditSection(embedded(), "EMBD", [](std::string& s) { s.append(12, '\0'); }),
                  "bad.ming: EMBD has 60 bytes; the embedded fields need 48");
  // Tables where no field is embedded.
  EXPECT_REJECTED(Edit(trained(), [](Container& c) { c.sections.push_back({"EMBD", std::string(8, '\0')}); }),
                  "bad.ming: EMBD has 8 bytes; the embedded fields need 0");
}

TEST_F(ModelMalformed, EmbeddingTablesNanOrInfinite) {
  EXPECT_REJECTED(EditSection(embedded(), "EMBD", [](std::string& s) { SetF32(s, 8, std::nanf("")); }),
                  "bad.ming: EMBD: value 2 is NaN");
  EXPECT_REJECTED(EditSection(embedded(), "EMBD", [](std::string& s) { SetF32(s, 44, -INFINITY); }),
                  "bad.ming: EMBD: value 11 is -inf");
}

TEST_F(ModelMalformed, EmbeddingDimensionDisagrees) {
  // A wider embedding than the tables hold: the preprocessing's widths no longer add up.
  EXPECT_REJECTED(EditMeta(embedded(),
                           [](json& j) {
                             for (json& f : j["preprocessing"]["fields"])
                               if (f.contains("embedding_dim")) f["embedding_dim"] = 4;
                           }),
                  "should be");
  EXPECT_REJECTED(EditMeta(embedded(),
                           [](json& j) {
                             for (json& f : j["preprocessing"]["fields"])
                               if (f.contains("embedding_dim")) f["embedding_dim"] = 1u << 31;
                           }),
                  "'embedding_dim' must be in [1, 1024]");
  EXPECT_REJECTED(EditMeta(embedded(),
                           [](json& j) {
                             j["network"]["embeddings"] = json::array({{{"column", 1}, {"dim", 3}, {"rows", 4}}});
                           }),
                  "bad.ming: network: a model's embedding tables belong to its preprocessing, not its network");
}

// ---- Preprocessing -------------------------------------------------------------------------

TEST_F(ModelMalformed, PreprocessingMeanNotANumber) {
  // JSON has no NaN: a NaN written by nlohmann comes back as null.
  EXPECT_REJECTED(
      EditMeta(trained(), [](json& j) { j["preprocessing"]["fields"][0]["mean"] = std::nan(""); }),
      "bad.ming: preprocessing: field 1: 'mean' must be a number");
}

TEST_F(ModelMalformed, PreprocessingMeanInfinite) {
  // A number too large for a double: the JSON parser refuses it.
  const std::string b =
      EditMeta(trained(), [](json& j) { j["preprocessing"]["fields"][0]["mean"] = 12345.5; });
  EXPECT_REJECTED(
      EditSection(b, "META", [](std::string& s) { s.replace(s.find("12345.5"), 7, "1e999"); }),
      "bad.ming: META: [json.exception.out_of_range.406] number overflow parsing '1e999'");
}

TEST_F(ModelMalformed, PreprocessingStdZeroOrNegative) {
  for (double sd : {0.0, -2.0}) {
    EXPECT_REJECTED(
        EditMeta(trained(), [&](json& j) { j["preprocessing"]["fields"][0]["std"] = sd; }),
        "preprocessing: field 1: 'std' must be positive");
  }
}

TEST_F(ModelMalformed, PreprocessingTaskUnknown) {
  EXPECT_REJECTED(
      EditMeta(trained(), [](json& j) { j["preprocessing"]["label"]["task"] = "ranking"; }),
      "preprocessing: label: unknown task 'ranking'");
}

TEST_F(ModelMalformed, PreprocessingFieldTypeUnknown) {
  EXPECT_REJECTED(
      EditMeta(trained(), [](json& j) { j["preprocessing"]["fields"][1]["type"] = "date"; }),
      "preprocessing: field 2: unknown type 'date'");
}

TEST_F(ModelMalformed, PreprocessingWidthsInconsistent) {
  EXPECT_REJECTED(
      EditMeta(trained(), [](json& j) { j["preprocessing"]["fields"][1]["offset"] = 5; }),
      "preprocessing: field 2: offset/width 5/1 should be 2/1");
  EXPECT_REJECTED(
      EditMeta(trained(), [](json& j) { j["preprocessing"]["encoded_width"] = 1 << 30; }),
      "'encoded_width' does not match the fields");
}

TEST_F(ModelMalformed, PreprocessingDuplicateCategory) {
  EXPECT_REJECTED(EditMeta(trained(),
                           [](json& j) {
                             json& cats = j["preprocessing"]["fields"][2]["categories"];
                             cats[1] = cats[0];
                           }),
                  "preprocessing: field 3: 'categories' repeats");
}

TEST_F(ModelMalformed, PreprocessingOneClass) {
  EXPECT_REJECTED(
      EditMeta(trained(), [](json& j) { j["preprocessing"]["label"]["classes"] = {"yes"}; }),
      "preprocessing: label: a binary label needs 2 classes, found 1");
}

// ---- Frozen layers -------------------------------------------------------------------------

TEST_F(ModelMalformed, FrozenLayerCountWrong) {
  EXPECT_REJECTED(EditMeta(frozen(), [](json& j) { j["layers"].erase(2); }),
                  "bad.ming: META must list 3 frozen layers");
  // An object with 3 members has size 3 but is not a list; no list at all says the same.
  EXPECT_REJECTED(EditMeta(frozen(), [](json& j) { j["layers"] = {{"a", 1}, {"b", 2}, {"c", 3}}; }),
                  "bad.ming: META must list 3 frozen layers");
  EXPECT_REJECTED(EditMeta(frozen(), [](json& j) { j.erase("layers"); }),
                  "bad.ming: META must list 3 frozen layers");
}

TEST_F(ModelMalformed, DimensionMismatchBetweenLayers) {
  // Layer 2 claims 5 inputs where layer 1 gives 16.
  EXPECT_REJECTED(EditMeta(frozen(), [](json& j) { j["layers"][1]["in"] = 5; }),
                  "bad.ming: layer 2: is 5 x 4, the network needs 16 x 4");
  // The network says 12 hidden units; the stored weights are for 16.
  EXPECT_REJECTED(EditMeta(frozen(),
                           [](json& j) {
                             j["network"]["hidden"][0] = 12;
                             j["layers"][0]["out"] = 12;
                             j["layers"][1]["in"] = 12;
                           }),
                  "bad.ming: section W000: expected 336 bytes for 7 x 12 floats, got 448");
}

TEST_F(ModelMalformed, LayerDimensionWrapsAround) {
  EXPECT_REJECTED(
      EditMeta(frozen(), [](json& j) { j["layers"][0]["in"] = (int64_t{1} << 32) + 7; }),
      "layer 1: is 4294967303 x 16, the network needs 7 x 16");
}

TEST_F(ModelMalformed, HugeDeclaredLayersDoNotAllocate) {
  // 65536 x 65536 hidden layers (16 GiB of floats) declared over a few bytes of weights.
  const std::string b = EditMeta(frozen(), [](json& j) {
    j["network"]["hidden"] = {65536, 65536};
    j["layers"][0]["out"] = 65536;
    j["layers"][1]["in"] = 65536;
    j["layers"][1]["out"] = 65536;
    j["layers"][2]["in"] = 65536;
  });
  EXPECT_REJECTED(b,
                  "bad.ming: section W000: expected 1835008 bytes for 7 x 65536 floats, got 448");
  const std::string c = Edit(b, [](Container& k) {
    Find(k, "W000")->bytes.assign(4 * 7 * 65536, '\0');
    Find(k, "B000")->bytes.assign(4 * 65536, '\0');
    Find(k, "N000")->bytes.assign(8 * 65536, '\0');
  });
  EXPECT_REJECTED(c, "bad.ming: section W001: expected 17179869184 bytes for 65536 x 65536 floats");
}

TEST_F(ModelMalformed, HugeDeclaredTrainedNetworkDoesNotAllocate) {
  EXPECT_REJECTED(EditMeta(trained(),
                           [](json& j) {
                             j["network"]["hidden"] = {65536, 65536, 65536};
                           }),
                  "bad.ming: PARM has");
}

TEST_F(ModelMalformed, WeightFormUnknown) {
  EXPECT_REJECTED(EditMeta(frozen(), [](json& j) { j["layers"][1]["weights"] = "fp4"; }),
                  "layer 2: unknown weight form 'fp4'");
}

TEST_F(ModelMalformed, DenseWeightsWrongSize) {
  EXPECT_REJECTED(EditSection(frozen(), "W001", [](std::string& s) { s.resize(s.size() - 1); }),
                  "section W001: expected 256 bytes for 16 x 4 floats, got 255");
}

TEST_F(ModelMalformed, DenseWeightNan) {
  EXPECT_REJECTED(
      EditSection(frozen(), "W002", [](std::string& s) { SetF32(s, 0, std::nanf("")); }),
      "section W002: value 0 is NaN");
}

TEST_F(ModelMalformed, BiasMissingOrNan) {
  EXPECT_REJECTED(Edit(frozen(), [](Container& c) { Find(c, "B001")->tag = "Z001"; }),
                  "layer 2: missing section B001");
  EXPECT_REJECTED(EditSection(frozen(), "B001", [](std::string& s) { SetF32(s, 4, HUGE_VALF); }),
                  "section B001: value 1 is +inf");
}

TEST_F(ModelMalformed, LayerNormSectionWrong) {
  EXPECT_REJECTED(EditSection(frozen(), "N000", [](std::string& s) { s.resize(s.size() / 2); }),
                  "section N000: expected 128 bytes");
  EXPECT_REJECTED(EditMeta(frozen(), [](json& j) { j["layers"][0]["layer_norm"] = false; }),
                  "section N000 present but the layer has no layer norm");
  EXPECT_REJECTED(EditMeta(frozen(), [](json& j) { j["layers"][2]["layer_norm"] = true; }),
                  "the output layer cannot have layer norm");
}

// ---- Sparse layers: 12-byte header (IC, OC, nnz), ptr[OC + 1] u32, idx[nnz] u16, val f32 --

struct SparseView {
  uint32_t IC, OC, nnz;
  size_t ptr(size_t o) const { return 12 + 4 * o; }
  size_t idx(size_t k) const { return 12 + 4 * (size_t{OC} + 1) + 2 * k; }
  size_t val(size_t k) const { return 12 + 4 * (size_t{OC} + 1) + 2 * size_t{nnz} + 4 * k; }
};
SparseView View(const std::string& s) { return {GetU32(s, 0), GetU32(s, 4), GetU32(s, 8)}; }
void SetU16(std::string& b, size_t off, uint16_t v) {
  b[off] = static_cast<char>(v);
  b[off + 1] = static_cast<char>(v >> 8);
}

std::string EditSparse(const std::string& model,
                       const std::function<void(std::string&, const SparseView&)>& fn) {
  return EditSection(model, "W000", [&](std::string& s) { fn(s, View(s)); });
}

TEST_F(ModelMalformed, SparseIndexOutOfRange) {
  EXPECT_REJECTED(
      EditSparse(sparse(), [](std::string& s, const SparseView& v) { SetU16(s, v.idx(0), 7); }),
      "section W000: sparse weights: output 0: input index 7 is not below IC 7");
  EXPECT_REJECTED(
      EditSparse(sparse(), [](std::string& s, const SparseView& v) { SetU16(s, v.idx(1), 65535); }),
      "input index 65535 is not below IC 7");
}

TEST_F(ModelMalformed, SparseIndicesUnsorted) {
  EXPECT_REJECTED(EditSparse(sparse(),
                             [](std::string& s, const SparseView& v) {
                               // Output 0 holds at least two entries; swap the first two indices.
                               const std::string a = s.substr(v.idx(0), 2);
                               s.replace(v.idx(0), 2, s.substr(v.idx(1), 2));
                               s.replace(v.idx(1), 2, a);
                             }),
                  "input indices not strictly ascending");
}

TEST_F(ModelMalformed, SparseIndicesDuplicated) {
  EXPECT_REJECTED(EditSparse(sparse(),
                             [](std::string& s, const SparseView& v) {
                               s.replace(v.idx(1), 2, s.substr(v.idx(0), 2));
                             }),
                  "input indices not strictly ascending");
}

TEST_F(ModelMalformed, SparseRowPointersNotMonotonic) {
  EXPECT_REJECTED(EditSparse(sparse(),
                             [](std::string& s, const SparseView& v) {
                               SetU32(s, v.ptr(2), GetU32(s, v.ptr(1)) - 1);
                             }),
                  "ptr[2] = ");
  EXPECT_REJECTED(
      EditSparse(sparse(), [](std::string& s, const SparseView& v) { SetU32(s, v.ptr(0), 1); }),
      "ptr[0] is 1, not 0");
  EXPECT_REJECTED(
      EditSparse(sparse(),
                 [](std::string& s, const SparseView& v) { SetU32(s, v.ptr(v.OC), v.nnz - 1); }),
      "is not nnz");
}

TEST_F(ModelMalformed, SparseCountHuge) {
  EXPECT_REJECTED(
      EditSparse(sparse(), [](std::string& s, const SparseView&) { SetU32(s, 8, 0xFFFFFFFFu); }),
      "4294967295 entries need");
}

TEST_F(ModelMalformed, SparseShapeWrong) {
  EXPECT_REJECTED(EditSparse(sparse(), [](std::string& s, const SparseView&) { SetU32(s, 0, 8); }),
                  "shape 8x16 does not match the layer's 7x16");
}

TEST_F(ModelMalformed, SparseValueNan) {
  EXPECT_REJECTED(
      EditSparse(sparse(),
                 [](std::string& s, const SparseView& v) { SetF32(s, v.val(0), std::nanf("")); }),
      "is not finite");
}

TEST_F(ModelMalformed, SparseHeaderTruncated) {
  EXPECT_REJECTED(EditSparse(sparse(), [](std::string& s, const SparseView&) { s.resize(7); }),
                  "header needs 12 bytes, section has 7");
}

// ---- Int8 layers: IC, OC, in_scale f32, zero u32, scale[OC] f32, q[IC x OC] ----------------

std::string EditInt8(const std::function<void(std::string&)>& fn) {
  return EditSection(g_models->int8, "W000", fn);
}

TEST_F(ModelMalformed, Int8ScaleNanZeroNegative) {
  for (float bad : {std::nanf(""), 0.0f, -0.5f, HUGE_VALF}) {
    EXPECT_REJECTED(EditInt8([&](std::string& s) { SetF32(s, 16 + 4 * 3, bad); }),
                    "section W000: int8 weights: scale of output 3");
  }
}

TEST_F(ModelMalformed, Int8InputScaleBad) {
  for (float bad : {std::nanf(""), 0.0f, -1.0f}) {
    EXPECT_REJECTED(EditInt8([&](std::string& s) { SetF32(s, 8, bad); }),
                    "int8 weights: input scale");
  }
}

TEST_F(ModelMalformed, Int8ZeroPointOutOfRange) {
  EXPECT_REJECTED(EditInt8([](std::string& s) { SetU32(s, 12, 256); }),
                  "input zero point 256 is outside 0..255");
}

TEST_F(ModelMalformed, Int8WeightMinus128) {
  EXPECT_REJECTED(EditInt8([](std::string& s) { s[s.size() - 1] = '\x80'; }),
                  "is -128, outside -127..127");
}

TEST_F(ModelMalformed, Int8ShapeOrSizeWrong) {
  EXPECT_REJECTED(EditInt8([](std::string& s) { SetU32(s, 4, 17); }), "int8 weights: shape 7x17");
  EXPECT_REJECTED(EditInt8([](std::string& s) { s.pop_back(); }), "int8 weights: needs");
  EXPECT_REJECTED(EditInt8([](std::string& s) { s.resize(10); }), "header needs 16 bytes");
}

// ---- Files ---------------------------------------------------------------------------------

class ModelPath : public ModelMalformed {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "/ming_model_path_" + std::to_string(::getpid());
    ASSERT_TRUE(MakeDirs(dir_).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(ModelPath, LoadErrorsNameThePath) {
  const std::string p = dir_ + "/cut.ming";
  ASSERT_TRUE(WriteFileAtomic(p, trained().substr(0, 100)).ok());
  Result<ModelData> r = LoadModel(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), p + ": truncated: header says " +
                                      std::to_string(trained().size()) + " bytes, file has 100");
}

TEST_F(ModelPath, NotARegularFile) {
  ASSERT_EQ(::mkfifo((dir_ + "/fifo.ming").c_str(), 0600), 0);
  for (const std::string& p : {dir_, std::string("/dev/zero"), dir_ + "/fifo.ming"}) {
    Result<ModelData> r = LoadModel(p);
    ASSERT_FALSE(r.ok()) << p;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput) << r.status().message();
    EXPECT_EQ(r.status().message().rfind(p + ": ", 0), 0u) << r.status().message();
  }
  EXPECT_EQ(LoadModel(dir_ + "/none.ming").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ming
