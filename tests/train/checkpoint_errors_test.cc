// Checkpoints that must be refused on resume: another kind of file, missing sections, a
// training state whose parts disagree, float sections sized for another network; and the
// caller's metadata read back (or refused) by ReadCheckpointMeta.
#include "tests/test_files.h"
#include "train/checkpoint.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <limits>
#include <string>

#include "format/container.h"
#include "tests/expect_status.h"
#include "util/file.h"

namespace ming {
namespace {

TrainOptions SmallNet() {
  TrainOptions o;
  o.net.inputs = 3;
  o.net.hidden = {4};
  o.net.outputs = 1;
  o.net.norm = Norm::kBatch;  // so that BUFS/BBUF are not empty
  o.checkpoint_meta = "caller's bytes";
  return o;
}

// A state two epochs into a run, with every array sized for `layout`.
TrainState TwoEpochs(const NetLayout& layout) {
  TrainState st;
  const size_t np = static_cast<size_t>(layout.num_params());
  const size_t nb = static_cast<size_t>(layout.num_buffers());
  st.params.assign(np, 0.25f);
  st.buffers.assign(nb, 1.0f);
  st.m.assign(np, 0.01f);
  st.v.assign(np, 0.02f);
  st.best_params.assign(np, 0.5f);
  st.best_buffers.assign(nb, 2.0f);
  st.step = 10;
  st.epoch = 2;
  st.best_epoch = 1;
  st.best_val_loss = 0.5;
  st.bad_epochs = 1;
  for (int e = 1; e <= 2; ++e) {
    EpochReport r;
    r.epoch = e;
    r.train_loss = 1.0 / e;
    r.val_loss = 0.5 * e;
    r.improved = e == 1;
    st.history.push_back(r);
  }
  return st;
}

class CheckpointErrors : public testing::Test {
 protected:
  void SetUp() override {
    path_ = testutil::TempFilePath("ming_ckpt_err",
                                   testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(WriteCheckpoint(path_, opts_, TwoEpochs(layout_)).ok());
    auto bytes = ReadFile(path_);
    ASSERT_TRUE(bytes.ok());
    auto c = ParseContainer(*bytes, path_);
    ASSERT_TRUE(c.ok());
    good_ = *c;
  }
  void TearDown() override { std::remove(path_.c_str()); }
  // Parses the good checkpoint after `edit`; returns the status.
  Status ParseEdited(const std::function<void(Container&)>& edit) {
    Container c = good_;
    edit(c);
    TrainState st;
    return ParseCheckpoint(SerializeContainer(c), "c.ckpt", opts_, layout_, &st);
  }
  Section& Sec(Container& c, const std::string& tag) {
    for (Section& s : c.sections)
      if (s.tag == tag) return s;
    ADD_FAILURE() << "no section " << tag;
    return c.sections[0];
  }

  TrainOptions opts_ = SmallNet();
  NetLayout layout_{opts_.net};
  std::string path_;
  Container good_;
};

#define EXPECT_REFUSED(st, text) EXPECT_STATUS(st, StatusCode::kInvalidInput, text)

// The fixture's checkpoint reads back whole: every counter, the history and every array.
TEST_F(CheckpointErrors, GoodCheckpointRoundTrips) {
  TrainState st;
  ASSERT_TRUE(ReadCheckpoint(path_, opts_, layout_, &st).ok());
  const TrainState want = TwoEpochs(layout_);
  EXPECT_EQ(st.epoch, 2);
  EXPECT_EQ(st.step, 10);
  EXPECT_EQ(st.best_epoch, 1);
  EXPECT_EQ(st.bad_epochs, 1);
  EXPECT_DOUBLE_EQ(st.best_val_loss, 0.5);
  ASSERT_EQ(st.history.size(), 2u);
  EXPECT_DOUBLE_EQ(st.history[1].train_loss, 0.5);
  EXPECT_DOUBLE_EQ(st.history[1].val_loss, 1.0);
  EXPECT_TRUE(st.history[0].improved);
  EXPECT_FALSE(st.history[1].improved);
  EXPECT_EQ(st.params, want.params);
  EXPECT_EQ(st.buffers, want.buffers);
  EXPECT_EQ(st.m, want.m);
  EXPECT_EQ(st.v, want.v);
  EXPECT_EQ(st.best_params, want.best_params);
  EXPECT_EQ(st.best_buffers, want.best_buffers);
}

// A model file (or any other container kind) is not taken for a checkpoint.
TEST_F(CheckpointErrors, OtherKindOfFile) {
  EXPECT_REFUSED(ParseEdited([](Container& c) { c.kind = FileKind::kModel; }),
                 "c.ckpt: not a checkpoint");
}

// Without its training state a checkpoint cannot be resumed.
TEST_F(CheckpointErrors, NoTrainingState) {
  EXPECT_REFUSED(ParseEdited([&](Container& c) { Sec(c, "TRST").tag = "XXXX"; }),
                 "c.ckpt: checkpoint has no section 'TRST'");
}

// TRST that is not JSON, or lacks a field, is a bad training state (not a crash).
TEST_F(CheckpointErrors, MalformedTrainingState) {
  EXPECT_REFUSED(ParseEdited([&](Container& c) { Sec(c, "TRST").bytes = "{not json"; }),
                 "c.ckpt: bad training state");
  EXPECT_REFUSED(ParseEdited([&](Container& c) {
                   std::string& b = Sec(c, "TRST").bytes;
                   b.replace(b.find("\"best_val_loss\""), 15, "\"other_field\"");
                 }),
                 "c.ckpt: bad training state");
}

// A history with fewer entries than completed epochs is refused with both counts.
TEST_F(CheckpointErrors, HistoryDisagreesWithEpoch) {
  TrainState st = TwoEpochs(layout_);
  st.history.pop_back();
  ASSERT_TRUE(WriteCheckpoint(path_, opts_, st).ok());
  TrainState back;
  EXPECT_REFUSED(ReadCheckpoint(path_, opts_, layout_, &back),
                 path_ + ": bad training state: 1 history entries for 2 epochs");
}

// A history entry with an epoch number out of range is a bad training state.
TEST_F(CheckpointErrors, HistoryEpochOutOfRange) {
  TrainState st = TwoEpochs(layout_);
  st.history[0].epoch = 0;
  ASSERT_TRUE(WriteCheckpoint(path_, opts_, st).ok());
  TrainState back;
  EXPECT_REFUSED(ReadCheckpoint(path_, opts_, layout_, &back), path_ + ": bad training state");
}

// Each float section is required, and the message names the missing one.
TEST_F(CheckpointErrors, EachFloatSectionIsRequired) {
  for (const char* tag : {"PARM", "BUFS", "OPTM", "OPTV", "BEST", "BBUF"}) {
    EXPECT_REFUSED(ParseEdited([&](Container& c) { Sec(c, tag).tag = "ZZZZ"; }),
                   std::string("c.ckpt: checkpoint has no section '") + tag + "'");
  }
}

// A section sized for another network names itself and both sizes.
TEST_F(CheckpointErrors, SectionSizedForAnotherNetwork) {
  for (const char* tag : {"PARM", "BUFS", "OPTM", "OPTV", "BEST", "BBUF"}) {
    EXPECT_REFUSED(ParseEdited([&](Container& c) { Sec(c, tag).bytes.resize(8); }),
                   std::string("c.ckpt: section '") + tag + "': expected ");
  }
}

// A checkpoint of the same settings but a wider hidden layer does not fit the layout.
TEST_F(CheckpointErrors, LayoutOfAnotherShape) {
  TrainOptions wide = opts_;
  wide.net.hidden = {5};
  const NetLayout other(wide.net);
  TrainState st;
  // The fingerprint includes the network, so the shape difference is found there first.
  EXPECT_REFUSED(ReadCheckpoint(path_, wide, other, &st), "made with other settings (/net");
  // With matching settings but another layout, the float sections tell.
  EXPECT_REFUSED(ReadCheckpoint(path_, opts_, other, &st), "section 'PARM': expected " +
                                                               std::to_string(4 * other.num_params()) +
                                                               " bytes");
}

// A stored NaN (written by something other than WriteCheckpoint) is refused with its index.
TEST_F(CheckpointErrors, NonFiniteValueInASection) {
  EXPECT_REFUSED(ParseEdited([&](Container& c) {
                   const float nan = std::numeric_limits<float>::quiet_NaN();
                   Sec(c, "OPTV").bytes.replace(4, 4, EncodeFloats(&nan, 1));
                 }),
                 "c.ckpt: section 'OPTV': value 1 is NaN");
}

// ReadCheckpointMeta returns the caller's bytes unchanged.
TEST_F(CheckpointErrors, MetaReadsBack) {
  auto meta = ReadCheckpointMeta(path_);
  ASSERT_TRUE(meta.ok()) << meta.status().message();
  EXPECT_EQ(*meta, "caller's bytes");
}

// ReadCheckpointMeta refuses a missing file, another kind of file and a file without META.
TEST_F(CheckpointErrors, MetaErrorsNameTheFile) {
  auto missing = ReadCheckpointMeta(path_ + ".none");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(path_ + ".none"), std::string::npos);

  Container model = good_;
  model.kind = FileKind::kModel;
  ASSERT_TRUE(WriteContainer(path_, model).ok());
  EXPECT_REFUSED(ReadCheckpointMeta(path_).status(), path_ + ": not a checkpoint");

  Container no_meta = good_;
  Sec(no_meta, "META").tag = "NOPE";
  ASSERT_TRUE(WriteContainer(path_, no_meta).ok());
  EXPECT_REFUSED(ReadCheckpointMeta(path_).status(), path_ + ": checkpoint has no section 'META'");
}

}  // namespace
}  // namespace ming
