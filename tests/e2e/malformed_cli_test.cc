// Malformed CSVs and model files through the real `ming` binary: each must end with exit
// code 2, a message on stderr naming the file (and line and column where there is one), and
// no output file or temporary left behind. Each run has a timeout, so a read that blocks
// (a FIFO) or never ends (/dev/zero) fails the test instead of hanging it.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "cli_util.h"

namespace ming::e2e {
namespace {

// Runs `PIPE timeout 60 ming ARGS` in `dir` (exit 124 when it had to be killed); PIPE is
// empty or a command ending in '|'.
Result Timed(const std::string& args, const std::string& dir, const std::string& pipe = "") {
  return testutil::RunMing(args, dir, pipe + " timeout 60");
}

// Files in dir other than `keep` and the captured output.
std::vector<std::string> Extra(const std::string& dir, const std::vector<std::string>& keep) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name == ".stdout" || name == ".stderr") continue;
    if (std::find(keep.begin(), keep.end(), name) == keep.end()) out.push_back(name);
  }
  return out;
}

class MalformedCli : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir(testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  // `ming train FILE` on `text`: exit 2, stderr holding `want`, no model or temp written.
  void ExpectTrainRejects(const std::string& text, const std::string& want,
                          const std::string& flags = "") {
    Write(dir_ + "/in.csv", text);
    Result r = Timed("train in.csv --label y -o out.ming --epochs 1 --hidden 4 -q " + flags, dir_);
    EXPECT_EQ(r.rc, 2) << r.err;
    EXPECT_NE(r.err.find("ming: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(want), std::string::npos) << "stderr: " << r.err << "\nwanted: " << want;
    EXPECT_EQ(Extra(dir_, {"in.csv"}), std::vector<std::string>{});
  }
  std::string dir_;
};

TEST_F(MalformedCli, EmptyCsv) { ExpectTrainRejects("", "in.csv: empty file"); }

TEST_F(MalformedCli, HeaderOnlyCsv) { ExpectTrainRejects("a,y\n", "in.csv: no data rows"); }

TEST_F(MalformedCli, RaggedRow) {
  ExpectTrainRejects("a,y\n1,yes\n2\n", "in.csv:3: 1 field, header has 2");
}

TEST_F(MalformedCli, UnterminatedQuote) {
  ExpectTrainRejects("a,y\n1,yes\n\"2,no\n3,yes\n",
                     "in.csv:3: column 'a': unterminated quoted field");
}

TEST_F(MalformedCli, QuoteInsideAField) {
  ExpectTrainRejects("a,y\n1,y\"es\n", "in.csv:2: column 'y': quote inside an unquoted field");
}

TEST_F(MalformedCli, DuplicateColumn) {
  ExpectTrainRejects("a,a,y\n1,2,yes\n", "in.csv:1: duplicate column name 'a'");
}

TEST_F(MalformedCli, InvalidUtf8) {
  ExpectTrainRejects("a,y\ncaf\xE9,yes\nbar,no\n",
                     "in.csv:2: column 'a': byte 4 of the field (0xe9)");
}

TEST_F(MalformedCli, NulByte) {
  ExpectTrainRejects(std::string("a,y\n1,yes\n\0,no\n", 15),
                     "in.csv:3: column 'a': byte 1 of the field is a NUL byte");
}

TEST_F(MalformedCli, InfiniteNumber) {
  ExpectTrainRejects("a,y\n1,yes\n2,no\n1e309,yes\n3,no\n",
                     "in.csv:4: column 'a': infinite value '1e309'");
}

TEST_F(MalformedCli, HexFloatDeclaredNumeric) {
  ExpectTrainRejects("a,y\n1,yes\n0x1p3,no\n", "in.csv:3: column 'a': '0x1p3' is not a number",
                     "--types a=numeric");
}

TEST_F(MalformedCli, LabelMissing) {
  ExpectTrainRejects("a,b\n1,2\n3,4\n", "in.csv: no label column 'y' (columns: a, b)");
}

TEST_F(MalformedCli, LabelWithOneClass) {
  ExpectTrainRejects("a,y\n1,yes\n2,yes\n", "in.csv: label 'y' has a single class 'yes'");
}

TEST_F(MalformedCli, DelimiterMismatch) {
  ExpectTrainRejects("a;y\n1;yes\n2;no\n", "is the file delimited by it? (--delimiter)");
}

TEST_F(MalformedCli, DelimiterFlagTooLong) {
  ExpectTrainRejects("a;y\n1;yes\n2;no\n", "--delimiter must be one character", "--delimiter ';;'");
}

TEST_F(MalformedCli, DataPathIsADirectory) {
  std::filesystem::create_directory(dir_ + "/sub");
  Result r = Timed("train sub --label y -o out.ming -q", dir_);
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("sub: is a directory"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/out.ming"));
}

TEST_F(MalformedCli, DataPathIsAFifoWithNoWriter) {
  ASSERT_EQ(::mkfifo((dir_ + "/pipe.csv").c_str(), 0600), 0);
  Result r = Timed("train pipe.csv --label y -o out.ming -q", dir_);
  EXPECT_EQ(r.rc, 2) << "124 means it blocked: " << r.err;
  EXPECT_NE(r.err.find("pipe.csv: empty file"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/out.ming"));
}

TEST_F(MalformedCli, DataFromAPipeIsRead) {
  Write(dir_ + "/in.csv",
        "a,y\n1,yes\n2,no\n3,yes\n4,no\n5,yes\n6,no\n7,yes\n8,no\n9,yes\n10,no\n");
  Result r = Timed("train /dev/stdin --label y -o out.ming --epochs 1 --hidden 4 -q", dir_,
                   "cat in.csv |");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/out.ming"));
}

TEST_F(MalformedCli, DataPathIsDevZero) {
  Result r = Timed("train /dev/zero --label y -o out.ming -q", dir_);
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_NE(r.err.find("/dev/zero: is a character device"), std::string::npos) << r.err;
}

TEST_F(MalformedCli, DataFileMissing) {
  Result r = Timed("train nope.csv --label y -o out.ming -q", dir_);
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("nope.csv: no such file"), std::string::npos) << r.err;
  EXPECT_EQ(Extra(dir_, {}), std::vector<std::string>{});
}

// Valid odd input (a BOM, CR-only and mixed line ends, -0, nan as missing) trains; then the
// model meets bad CSVs in predict and damaged copies of itself in info and predict.
TEST_F(MalformedCli, OddButValidCsvTrainsAndBadInputsToTheModelAreRejected) {
  std::string csv =
      "\xEF\xBB\xBF"
      "temp,rain,y\r";
  for (int i = 0; i < 40; ++i) {
    const char* t = i % 9 == 0 ? "-0" : i % 7 == 0 ? "nan" : nullptr;
    csv += (t ? std::string(t) : std::to_string(10 + i % 13)) + "," + (i % 3 ? "no" : "yes") + "," +
           (i % 2 ? "yes" : "no") + (i % 2 ? "\r\n" : "\n");
  }
  Write(dir_ + "/ok.csv", csv);
  Result t = Timed("train ok.csv --label y -o m.ming --epochs 1 --hidden 4 -q", dir_);
  ASSERT_EQ(t.rc, 0) << t.err;
  const std::string model = Slurp(dir_ + "/m.ming");

  // predict: bad CSVs, nothing written.
  Write(dir_ + "/bad.csv", "temp,rain\n1,yes\n2\n");
  Result p = Timed("predict m.ming bad.csv -o out.csv", dir_);
  EXPECT_EQ(p.rc, 2);
  EXPECT_NE(p.err.find("bad.csv:3: 1 field, header has 2"), std::string::npos) << p.err;
  Write(dir_ + "/bad.csv", "temp,rain\ninf,yes\n");
  p = Timed("predict m.ming bad.csv -o out.csv", dir_);
  EXPECT_EQ(p.rc, 2);
  EXPECT_NE(p.err.find("bad.csv:2"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("column 'temp'"), std::string::npos) << p.err;
  Write(dir_ + "/bad.csv", "rain\nyes\n");
  p = Timed("predict m.ming bad.csv -o out.csv", dir_);
  EXPECT_EQ(p.rc, 2);
  EXPECT_NE(p.err.find("bad.csv: no column 'temp'"), std::string::npos) << p.err;
  p = Timed("predict m.ming /dev/zero -o out.csv", dir_);
  EXPECT_EQ(p.rc, 2);
  EXPECT_EQ(Extra(dir_, {"ok.csv", "m.ming", "bad.csv"}), std::vector<std::string>{});

  // Damaged models: truncated, one bit flipped, not a model at all.
  Write(dir_ + "/cut.ming", model.substr(0, model.size() / 2));
  std::string flipped = model;
  flipped[flipped.size() / 3] ^= 0x10;
  Write(dir_ + "/flip.ming", flipped);
  for (const char* name : {"cut.ming", "flip.ming", "ok.csv"}) {
    Result i = Timed(std::string("info ") + name, dir_);
    EXPECT_EQ(i.rc, 2) << name << ": " << i.err;
    EXPECT_EQ(i.err.rfind(std::string("ming: ") + name + ": ", 0), 0u) << i.err;
    Result q = Timed(std::string("predict ") + name + " ok.csv -o out.csv", dir_);
    EXPECT_EQ(q.rc, 2) << name << ": " << q.err;
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/out.csv"));
  }
  Result z = Timed("info /dev/zero", dir_);
  EXPECT_EQ(z.rc, 2);
  EXPECT_NE(z.err.find("/dev/zero: is a character device"), std::string::npos) << z.err;
}

}  // namespace
}  // namespace ming::e2e
