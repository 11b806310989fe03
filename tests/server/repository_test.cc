// The model repository as a trust boundary: a NAME, VERSION or model.ming that links outside
// the repository, a hard-linked model file, a dangling link or a loop is refused with a
// logged reason that States() and the admin index report, and the outside model is never
// served; links that stay inside are followed; a version directory swapped for an outside
// link stops serving at the next poll. Through ModelStore directly and through `ming serve`.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fuzz/server_fixture.h"
#include "server/model_store.h"
#include "server_util.h"

namespace ming::servertest {
namespace {

namespace fs = std::filesystem;
using server::ModelStore;
constexpr double kSecret = 0.123;  // the outside model's threshold, to recognise it

class Repository : public testing::Test {
 protected:
  void SetUp() override {
    top_ = testing::TempDir() + "/ming_repo_test_" + std::to_string(::getpid()) + "_" +
           testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(top_);
    repo_ = top_ + "/repo";
    out_ = top_ + "/outside";
    ModelData secret = fuzz::TinyModelData(99);
    secret.threshold = kSecret;
    Put(out_ + "/secret.ming", SerializeModel(secret));
    Put(out_ + "/1/model.ming", SerializeModel(secret));
    Put(repo_ + "/good/1/model.ming", SerializeModel(fuzz::TinyModelData(1)));
  }
  void TearDown() override { fs::remove_all(top_); }

  static void Put(const std::string& path, const std::string& bytes) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
  }
  static void Link(const std::string& target, const std::string& at) {
    fs::create_directories(fs::path(at).parent_path());
    ASSERT_EQ(::symlink(target.c_str(), at.c_str()), 0) << at;
  }
  // The reason States() gives for name/version, or "" when it is ready or absent.
  static std::string Reason(const ModelStore& s, const std::string& name, const std::string& version) {
    for (const auto& st : s.States()) {
      if (st.name == name && st.version == version && !st.ready) return st.reason;
    }
    return "";
  }
  static void ExpectNoSecret(const ModelStore& s) {
    for (const auto& [name, mv] : *s.snapshot()) {
      for (const auto& [v, sm] : mv.versions) EXPECT_NE(sm->model->threshold(), kSecret) << name << "/" << v;
    }
  }

  std::string top_, repo_, out_;
  std::vector<std::string> log_;
  void Open(ModelStore& s) {
    s.set_log([this](const std::string& m) { log_.push_back(m); });
    ASSERT_TRUE(s.OpenRepository(repo_).ok());
  }
};

TEST_F(Repository, RefusesLinksOutsideAtEveryLevel) {
  Link(out_, repo_ + "/name_out");                              // NAME
  Link(out_ + "/1", repo_ + "/ver_out/1");                      // VERSION
  Link(out_ + "/secret.ming", repo_ + "/file_out/1/model.ming");  // model.ming
  ModelStore s;
  Open(s);
  ExpectNoSecret(s);
  EXPECT_TRUE(s.Find("good", "").ok());
  EXPECT_NE(Reason(s, "name_out", "").find("model directory"), std::string::npos);
  EXPECT_NE(Reason(s, "name_out", "").find("outside the repository"), std::string::npos);
  EXPECT_NE(Reason(s, "ver_out", "1").find("version directory"), std::string::npos);
  EXPECT_NE(Reason(s, "file_out", "1").find("model file"), std::string::npos);
  auto f = s.Find("file_out", "");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("outside the repository"), std::string::npos);
  EXPECT_EQ(log_.size(), 3u);
  EXPECT_FALSE(s.AllReady());
  EXPECT_FALSE(s.Load("name_out").ok());  // the admin load is refused the same way
  ExpectNoSecret(s);
  s.Poll();
  EXPECT_EQ(log_.size(), 3u);  // a refusal is logged once, not at every poll
}

TEST_F(Repository, RefusesHardLinkedModelFiles) {
  fs::create_directories(repo_ + "/hard/1");
  ASSERT_EQ(::link((out_ + "/secret.ming").c_str(), (repo_ + "/hard/1/model.ming").c_str()), 0);
  ModelStore s;
  Open(s);
  ExpectNoSecret(s);
  EXPECT_FALSE(s.Find("hard", "").ok());
  EXPECT_NE(Reason(s, "hard", "").find("2 hard links"), std::string::npos);
  ASSERT_EQ(log_.size(), 1u);
  // With the outside name gone the file has one link and is served (it is now only in the
  // repository).
  fs::remove(out_ + "/secret.ming");
  EXPECT_TRUE(s.Load("hard").ok());
  EXPECT_TRUE(s.Find("hard", "1").ok());
}

TEST_F(Repository, RefusesDanglingLinksAndLoops) {
  Link("/nonexistent/ming/model.ming", repo_ + "/dangling/1/model.ming");
  Link("loop", repo_ + "/loop");
  ModelStore s;
  Open(s);
  EXPECT_NE(Reason(s, "dangling", "1").find("does not resolve"), std::string::npos);
  EXPECT_NE(Reason(s, "loop", "").find("does not resolve"), std::string::npos);
  EXPECT_TRUE(s.Find("good", "1").ok());
}

TEST_F(Repository, FollowsLinksThatStayInside) {
  Link("good", repo_ + "/alias");
  Link("../good/1", repo_ + "/verlink/1");
  Link(repo_ + "/good/1/model.ming", repo_ + "/filelink/1/model.ming");
  ModelStore s;
  Open(s);
  for (const char* n : {"good", "alias", "verlink", "filelink"}) EXPECT_TRUE(s.Find(n, "1").ok()) << n;
  EXPECT_TRUE(log_.empty());
  EXPECT_TRUE(s.AllReady());
}

TEST_F(Repository, VersionSwappedForAnOutsideLinkStopsServing) {
  ModelStore s;
  Open(s);
  ASSERT_TRUE(s.Find("good", "1").ok());
  fs::remove_all(repo_ + "/good/1");
  Link(out_ + "/1", repo_ + "/good/1");
  s.Poll();
  EXPECT_FALSE(s.Find("good", "1").ok());
  ExpectNoSecret(s);
  EXPECT_NE(Reason(s, "good", "1").find("outside the repository"), std::string::npos);
}

TEST_F(Repository, VersionsAreCanonicalNumbers) {
  Put(repo_ + "/good/01/model.ming", SerializeModel(fuzz::TinyModelData(5)));
  Put(repo_ + "/good/+2/model.ming", SerializeModel(fuzz::TinyModelData(5)));
  ModelStore s;
  Open(s);
  EXPECT_EQ(s.Poll(), 0);  // "01" no longer shadows "1", so nothing reloads at every poll
  EXPECT_TRUE(s.Find("good", "1").ok());
  EXPECT_FALSE(s.Find("good", "01").ok());
  EXPECT_FALSE(s.Find("good", "-0").ok());
  EXPECT_FALSE(s.Find("good", "2").ok());
  int64_t v = 0;
  EXPECT_TRUE(server::ValidVersion("0", &v));
  EXPECT_FALSE(server::ValidVersion("007", &v));
}

TEST_F(Repository, ServerReportsRefusalsAndNeverServesTheOutsideModel) {
  Link(out_, repo_ + "/name_out");
  fs::create_directories(repo_ + "/hard/1");
  ASSERT_EQ(::link((out_ + "/secret.ming").c_str(), (repo_ + "/hard/1/model.ming").c_str()), 0);
  Server srv("--repository '" + repo_ + "' --admin-token t --poll-ms 0");
  ASSERT_GT(srv.port(), 0) << srv.stderr_text();
  EXPECT_EQ(Http(srv.port(), "GET", "/v2/models/good").status, 200);
  for (const char* n : {"name_out", "hard"}) {
    const HttpResult r = Http(srv.port(), "GET", std::string("/v2/models/") + n);
    EXPECT_EQ(r.status, 503) << n;
    EXPECT_NE(r.body.find("refused"), std::string::npos) << r.body;
  }
  const HttpResult idx = Http(srv.port(), "POST", "/v2/repository/index", "", {"Authorization: Bearer t"});
  ASSERT_EQ(idx.status, 200);
  int refused = 0;
  for (const auto& e : nlohmann::json::parse(idx.body)) {
    if (e.value("reason", "").find("refused") != std::string::npos) ++refused;
  }
  EXPECT_EQ(refused, 2) << idx.body;
  EXPECT_EQ(Http(srv.port(), "POST", "/v2/repository/models/name_out/load", "", {"Authorization: Bearer t"}).status, 400);
  EXPECT_EQ(Http(srv.port(), "GET", "/v2/models/name_out/versions/1/ready").status, 503);
  EXPECT_NE(srv.stderr_text().find("outside the repository"), std::string::npos);
}

}  // namespace
}  // namespace ming::servertest
