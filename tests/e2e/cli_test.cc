// The CLI end to end: generate -> train -> eval -> predict -> info, JSON shapes, config
// files, exit codes, reproducible model files, and kill -9 + --resume.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <sstream>
#include <thread>

#include "cli_util.h"
#include "data/csv.h"

namespace ming::e2e {
namespace {

using nlohmann::json;

std::vector<json> JsonLines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

TEST(Cli, TrainEvalPredictInfo) {
  const std::string d = TempDir("flow");
  ASSERT_EQ(Ming("generate invitations --rows 3000 --seed 5 -o inv.csv", d).rc, 0);
  Result t = Ming("train inv.csv --label accepted -o m.ming --epochs 4 --hidden 32,16 --json", d);
  ASSERT_EQ(t.rc, 0) << t.err;
  auto lines = JsonLines(t.out);
  ASSERT_EQ(lines.size(), 5u);  // 4 epochs + summary
  for (int e = 0; e < 4; ++e) {
    const json& j = lines[static_cast<size_t>(e)];
    EXPECT_EQ(j["epoch"], e + 1);
    for (const char* k : {"train_loss", "seconds", "rows_per_s", "val_loss", "val_accuracy", "val_auc", "val_log_loss", "val_f1"}) {
      EXPECT_TRUE(j.contains(k)) << k;
    }
  }
  EXPECT_EQ(lines.back()["type"], "summary");

  Result ev = Ming("eval m.ming inv.csv --json", d);
  ASSERT_EQ(ev.rc, 0) << ev.err;
  json m = json::parse(ev.out);
  EXPECT_EQ(m["task"], "binary");
  EXPECT_EQ(m["rows"], 3000);
  for (const char* k : {"accuracy", "log_loss", "f1", "auc"}) EXPECT_TRUE(m.contains(k)) << k;
  EXPECT_GT(m["accuracy"].get<double>(), 0.65);

  // Predict on rows without the label column, in both formats.
  Ming("generate invitations --rows 20 --seed 9 -o new.csv", d);
  std::string csv = Slurp(d + "/new.csv"), stripped;
  std::istringstream in(csv);
  for (std::string line; std::getline(in, line);) stripped += line.substr(0, line.rfind(',')) + "\n";
  Write(d + "/nolabel.csv", stripped);
  Result pj = Ming("predict m.ming nolabel.csv --format jsonl", d);
  ASSERT_EQ(pj.rc, 0) << pj.err;
  auto preds = JsonLines(pj.out);
  ASSERT_EQ(preds.size(), 20u);
  for (const json& p : preds) {
    const double no = p["probabilities"]["no"], yes = p["probabilities"]["yes"];
    EXPECT_NEAR(no + yes, 1.0, 1e-5);
    EXPECT_EQ(p["label"], yes >= 0.5 ? "yes" : "no");
  }
  Result pc = Ming("predict m.ming nolabel.csv -o out.csv", d);
  ASSERT_EQ(pc.rc, 0) << pc.err;
  EXPECT_EQ(Slurp(d + "/out.csv").rfind("label,p_no,p_yes\n", 0), 0u);

  Result info = Ming("info m.ming --json", d);
  ASSERT_EQ(info.rc, 0) << info.err;
  json ij = json::parse(info.out);
  EXPECT_EQ(ij["network"]["hidden"], json({32, 16}));
  EXPECT_EQ(ij["label"], "accepted");
  EXPECT_TRUE(ij.contains("metrics"));
  EXPECT_EQ(ij["training"]["effective"]["epochs"], 4);
  EXPECT_EQ(Ming("info m.ming", d).rc, 0);
}

TEST(Cli, RegressionAndMulticlassFromCsv) {
  const std::string d = TempDir("tasks");
  std::string reg = "a,b,color,y\n", mc = "a,b,kind\n";
  for (int i = 0; i < 400; ++i) {
    const double a = (i % 17) / 17.0, b = (i % 11) / 11.0;
    const char* color = i % 3 == 0 ? "red" : i % 3 == 1 ? "green" : "blue";
    reg += std::to_string(a) + "," + std::to_string(b) + "," + color + "," + std::to_string(3 * a - b + (i % 3)) + "\n";
    mc += std::to_string(a) + "," + std::to_string(b) + "," + (a > 0.5 ? "high" : b > 0.5 ? "mid" : "low") + "\n";
  }
  Write(d + "/reg.csv", reg);
  Write(d + "/mc.csv", mc);
  Result r = Ming("train reg.csv --label y -o r.ming --epochs 30 -q", d);
  ASSERT_EQ(r.rc, 0) << r.err;
  json rj = json::parse(Ming("eval r.ming reg.csv --json", d).out);
  EXPECT_EQ(rj["task"], "regression");
  for (const char* k : {"rmse", "mae", "r2"}) EXPECT_TRUE(rj.contains(k));
  EXPECT_GT(rj["r2"].get<double>(), 0.8);
  auto values = JsonLines(Ming("predict r.ming reg.csv --format jsonl", d).out);
  ASSERT_EQ(values.size(), 400u);
  EXPECT_TRUE(values[0].contains("value"));
  Result m = Ming("train mc.csv --label kind -o c.ming --epochs 30 -q", d);
  ASSERT_EQ(m.rc, 0) << m.err;
  json mj = json::parse(Ming("eval c.ming mc.csv --json", d).out);
  EXPECT_EQ(mj["task"], "multiclass");
  EXPECT_GT(mj["accuracy"].get<double>(), 0.8);
  auto labels = JsonLines(Ming("predict c.ming mc.csv --format jsonl", d).out);
  EXPECT_EQ(labels[0]["probabilities"].size(), 3u);
}

TEST(Cli, SameSeedGivesABitIdenticalModelFile) {
  const std::string d = TempDir("repro");
  Ming("generate invitations --rows 1500 --seed 2 -o inv.csv", d);
  const std::string args = "--label accepted --epochs 3 --threads 2 --seed 4 -q";
  ASSERT_EQ(Ming("train inv.csv " + args + " -o a.ming", d).rc, 0);
  ASSERT_EQ(Ming("train inv.csv --label accepted --epochs 3 --threads 2 --seed 5 -q -o c.ming", d).rc, 0);
  // Only the creation time may differ; SOURCE_DATE_EPOCH pins it.
  const std::string env = "SOURCE_DATE_EPOCH=1700000000 ";
  std::system(("cd " + d + " && " + env + MING_BINARY " train inv.csv " + args + " -o y.ming && " + env +
               MING_BINARY " train inv.csv " + args + " -o z.ming").c_str());
  const std::string y = Slurp(d + "/y.ming"), z = Slurp(d + "/z.ming");
  ASSERT_FALSE(y.empty());
  EXPECT_EQ(y, z);
  EXPECT_NE(Slurp(d + "/a.ming"), Slurp(d + "/c.ming"));
}

TEST(Cli, ConfigFileWithFlagsOverriding) {
  const std::string d = TempDir("config");
  Ming("generate invitations --rows 800 --seed 2 -o inv.csv", d);
  Write(d + "/train.toml", "data = \"inv.csv\"\nlabel = \"accepted\"\nhidden = [12, 6]\nepochs = 2\nlr = 0.005\nnesterov = false\n");
  Result r = Ming("train --config train.toml --epochs 3 -o m.ming -q", d);
  ASSERT_EQ(r.rc, 0) << r.err;
  json ij = json::parse(Ming("info m.ming --json", d).out);
  EXPECT_EQ(ij["network"]["hidden"], json({12, 6}));
  EXPECT_EQ(ij["training"]["effective"]["epochs"], 3);
  EXPECT_NEAR(ij["training"]["effective"]["optim"]["lr"].get<double>(), 0.005, 1e-9);
  Write(d + "/bad.toml", "learning_rate = 0.1\n");
  Result bad = Ming("train inv.csv --label accepted --config bad.toml", d);
  EXPECT_EQ(bad.rc, 2);
  EXPECT_NE(bad.err.find("bad.toml: 'learning_rate' is not an option"), std::string::npos) << bad.err;
}

struct BadCase {
  const char* name;
  const char* csv;
  const char* extra;
  const char* expect;  // fragment of the error message
};

TEST(Cli, BadInputExitsTwoAndNamesThePlace) {
  const BadCase cases[] = {
      {"ragged", "a,b,y\n1,2,yes\n3,no\n1,1,no\n", "", "data.csv:3: 2 fields, header has 3"},
      {"not_a_number", "a,b,y\n1,2,yes\nhot,1,no\n2,2,no\n", "--types a=numeric", "data.csv:3: column 'a': 'hot' is not a number"},
      {"inf", "a,b,y\n1,2,yes\ninf,1,no\n2,2,no\n", "", "column 'a': infinite value"},
      {"empty", "", "", "data.csv: empty file"},
      {"header_only", "a,b,y\n", "", "no data rows"},
      {"no_label", "a,b,c\n1,2,3\n4,5,6\n", "", "no label column 'y'"},
      {"one_class", "a,b,y\n1,2,yes\n3,4,yes\n5,6,yes\n", "", "single class"},
      {"unterminated", "a,b,y\n1,\"2,yes\n3,4,no\n", "", "data.csv:2"},
      {"bad_flag_value", "a,b,y\n1,2,yes\n3,4,no\n", "--activation swish", "--activation: unknown value 'swish'"},
      {"bad_dropout", "a,b,y\n1,2,yes\n3,4,no\n", "--dropout 1.5", "dropout"},
      {"embed_number", "a,b,y\n1,2,yes\n3,4,no\n", "--embed a", "column 'a' is numeric; only categorical fields can be embedded"},
      {"embed_unknown", "a,b,y\n1,2,yes\n3,4,no\n", "--embed zip:4", "no column 'zip' to embed"},
      {"embed_dim", "a,b,y\n1,x,yes\n3,z,no\n", "--embed b:0", "--embed: 'b:0': the dimension must be an integer in [1, 1024]"},
      {"embed_dim_frac", "a,b,y\n1,x,yes\n3,z,no\n", "--embed b:2.5", "the dimension must be an integer"},
      {"embed_empty", "a,b,y\n1,x,yes\n3,z,no\n", "--embed ,", "--embed: expected auto, none or col[:dim],..."},
  };
  for (const BadCase& c : cases) {
    const std::string d = TempDir(c.name);
    Write(d + "/data.csv", c.csv);
    Result r = Ming(std::string("train data.csv --label y -o m.ming -q ") + c.extra, d);
    EXPECT_EQ(r.rc, 2) << c.name << ": " << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.name << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(d + "/m.ming")) << c.name;
  }
  const std::string d = TempDir("misc");
  EXPECT_EQ(Ming("train missing.csv --label y", d).rc, 2);
  EXPECT_EQ(Ming("eval missing.ming x.csv", d).rc, 2);
  EXPECT_EQ(Ming("frobnicate", d).rc, 2);
  Write(d + "/junk.ming", "MING but not really a model file");
  Result j = Ming("info junk.ming", d);
  EXPECT_EQ(j.rc, 2);
  EXPECT_NE(j.err.find("junk.ming"), std::string::npos);
  EXPECT_EQ(Ming("train --help", d).rc, 0);
  // --hidden 0 asks for a linear model, not a layer of width 0.
  Write(d + "/lin.csv", "a,b,y\n1,2,yes\n3,4,no\n1,3,yes\n4,4,no\n2,2,yes\n5,1,no\n");
  Result lin = Ming("train lin.csv --label y --hidden 0 --epochs 2 --val-fraction 0 --test-fraction 0 -q -o lin.ming", d);
  ASSERT_EQ(lin.rc, 0) << lin.err;
  EXPECT_EQ(json::parse(Ming("info lin.ming --json", d).out)["network"]["hidden"], json::array());
}

// A categorical field with more values than --max-categories is embedded (auto), and
// --embed col:dim embeds one with a chosen width; info and predict show and use it.
TEST(Cli, EmbedsHighCardinalityFields) {
  const std::string d = TempDir("embed");
  std::string csv = "n,shop,colour,y\n";
  for (int i = 0; i < 600; ++i) {
    const int shop = (i * 7919) % 40;
    csv += std::to_string(i % 13) + ",s" + std::to_string(shop) + "," + (i % 3 ? "red" : "blue") + "," +
           (shop % 2 ? "yes" : "no") + "\n";
  }
  Write(d + "/data.csv", csv);
  Result t = Ming("train data.csv --label y --max-categories 8 --embed colour:3 --epochs 3 --hidden 16 -q -o m.ming", d);
  ASSERT_EQ(t.rc, 0) << t.err;
  Result info = Ming("info m.ming --json", d);
  ASSERT_EQ(info.rc, 0) << info.err;
  const json ij = json::parse(info.out);
  EXPECT_EQ(ij["fields"][1]["name"], "shop");
  EXPECT_EQ(ij["fields"][1]["embedding_dim"], 13);   // 41 slots: ceil(1.6 * 41^0.56)
  EXPECT_EQ(ij["fields"][1]["categories"].size(), 40u);
  EXPECT_EQ(ij["fields"][2]["embedding_dim"], 3);    // asked for
  EXPECT_FALSE(ij["fields"][0].contains("embedding_dim"));
  EXPECT_EQ(ij["network"]["inputs"], 1 + 13 + 3);
  EXPECT_EQ(ij["training"]["embed"], "colour:3");
  EXPECT_NE(Ming("info m.ming", d).out.find("embedded: 40 categories + unknown"), std::string::npos);
  Write(d + "/rows.csv", "n,shop,colour\n3,s5,red\n4,brand-new,green\n");
  Result p = Ming("predict m.ming rows.csv --format jsonl", d);
  ASSERT_EQ(p.rc, 0) << p.err;
  EXPECT_EQ(JsonLines(p.out).size(), 2u);
  // --embed none: one-hot over the top 8, the rest "other".
  ASSERT_EQ(Ming("train data.csv --label y --max-categories 8 --embed none --epochs 1 --hidden 16 -q -o o.ming", d).rc, 0);
  const json oj = json::parse(Ming("info o.ming --json", d).out);
  EXPECT_FALSE(oj["fields"][1].contains("embedding_dim"));
  EXPECT_EQ(oj["fields"][1]["inputs"], 9);
}

TEST(Cli, PredictWithABadRowWritesNothing) {
  const std::string d = TempDir("predict_bad");
  Ming("generate invitations --rows 500 --seed 3 -o inv.csv", d);
  ASSERT_EQ(Ming("train inv.csv --label accepted --epochs 2 -q -o m.ming", d).rc, 0);
  std::string csv = Slurp(d + "/inv.csv");
  const size_t third = csv.find('\n', csv.find('\n', csv.find('\n') + 1) + 1);
  Write(d + "/bad.csv", csv.substr(0, third + 1) + "no,sunny,warm,good,no,no,no,mon,park,3,2.0,yes\n" + csv.substr(third + 1));
  Result r = Ming("predict m.ming bad.csv -o out.csv", d);
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("bad.csv:4: column 'temperature': 'warm' is not a number"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(d + "/out.csv"));
}

// Class names holding the delimiter, quotes and a line end are quoted in the CSV output
// (header names included), so the output reads back as a table of the right shape.
TEST(Cli, PredictCsvQuotesClassNames) {
  const std::string d = TempDir("predict_quote");
  std::string csv = "a,kind\n";
  const char* kinds[] = {"\"high, very\"", "\"said \"\"mid\"\"\"", "\"low\nline\""};
  for (int i = 0; i < 90; ++i) {
    csv += std::to_string(i % 3) + ",";
    csv += kinds[i % 3];
    csv += "\n";
  }
  Write(d + "/q.csv", csv);
  ASSERT_EQ(Ming("train q.csv --label kind --epochs 2 -q -o m.ming", d).rc, 0);
  Result r = Ming("predict m.ming q.csv -o out.csv", d);
  ASSERT_EQ(r.rc, 0) << r.err;
  auto out = ParseCsv(Slurp(d + "/out.csv"), "out.csv");
  ASSERT_TRUE(out.ok()) << out.status().message();
  const CsvTable& t = out.value();
  std::vector<std::string> header = t.header;
  std::sort(header.begin() + 1, header.end());
  EXPECT_EQ(header, (std::vector<std::string>{"label", "p_high, very", "p_low\nline", "p_said \"mid\""}));
  ASSERT_EQ(t.rows(), 90u);
  for (size_t row = 0; row < t.rows(); ++row) {
    const std::string& label = t.cell(row, 0);
    EXPECT_TRUE(label == "high, very" || label == "said \"mid\"" || label == "low\nline") << label;
  }
}

TEST(Cli, KillNineThenResumeEqualsAnUninterruptedRun) {
  const std::string d = TempDir("kill");
  Ming("generate invitations --rows 30000 --seed 8 -o inv.csv", d);
  const std::string args = "train inv.csv --label accepted --epochs 16 --patience 0 --threads 2 --hidden 128,64 -q";
  const std::string env = "SOURCE_DATE_EPOCH=1700000000 ";
  ASSERT_EQ(std::system(("cd " + d + " && " + env + MING_BINARY " " + args + " -o full.ming").c_str()), 0);
  // Start a run with checkpoints, kill -9 it once a few epochs are saved, resume it.
  const std::string start = "cd " + d + " && (" + env + MING_BINARY " " + args +
                            " --checkpoint ck -o resumed.ming & echo $! > pid)";
  ASSERT_EQ(std::system(start.c_str()), 0);
  const std::string ckpt = d + "/ck/checkpoint.ming";
  for (int i = 0; i < 600 && !std::filesystem::exists(ckpt); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const int pid = std::stoi(Slurp(d + "/pid"));
  ::kill(pid, SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(std::filesystem::exists(d + "/resumed.ming")) << "the run finished before it was killed";
  ASSERT_TRUE(std::filesystem::exists(ckpt));
  ASSERT_EQ(std::system(("cd " + d + " && " + env + MING_BINARY " " + args + " --checkpoint ck --resume -o resumed.ming").c_str()), 0);
  EXPECT_EQ(Slurp(d + "/full.ming"), Slurp(d + "/resumed.ming"));
}

}  // namespace
}  // namespace ming::e2e
