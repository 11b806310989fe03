// Ming's invitation records: the built-in data set of the story. Each row is one evening
// he invited her out; `accepted` (yes/no) follows a hidden rule plus label noise.
// The rule is exposed (InvitationRule) so tests can compute the best achievable accuracy.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "data/csv.h"

namespace ming {

// CSV text with a header and `rows` rows; deterministic for (rows, seed).
std::string GenerateInvitations(int64_t rows, uint64_t seed);

// The noise-free answer of the hidden rule for row r of a parsed invitations table
// (true = accepts). Uses the true values; where a value was blanked as missing in the CSV
// the rule cannot be recovered exactly, which is part of the irreducible error.
bool InvitationRule(const CsvTable& t, size_t r);

// Probability that a label was flipped by noise.
double InvitationLabelNoise();

}  // namespace ming
