#pragma once
// `verify --deep`: pull every platform of a report, extract it into a temporary directory, and
// check the config is valid published metadata and every declared binary exists and is executable.

#include "bundle/limits.hpp"
#include "publish/verify.hpp"
#include "report/report.hpp"
#include "store/target.hpp"

namespace ocx::cli {

Result<publish::VerifyResult> deep_verify(store::Target& target, const report::Report& report,
                                          const bundle::UnpackLimits& limits = {});

}  // namespace ocx::cli
