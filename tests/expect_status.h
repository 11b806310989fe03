// EXPECT_STATUS(status_expr, code, fragment) for any test area: the status has `code` and
// its message holds `fragment` (the place at fault); both are printed when it does not.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "ming/status.h"

#define EXPECT_STATUS(st, status_code, fragment)                                        \
  do {                                                                                  \
    const ::ming::Status s_ = (st);                                                     \
    EXPECT_EQ(s_.code(), (status_code)) << s_.message();                                \
    EXPECT_NE(s_.message().find(fragment), std::string::npos)                           \
        << "message: " << s_.message() << "\nwanted: " << (fragment);                   \
  } while (0)
