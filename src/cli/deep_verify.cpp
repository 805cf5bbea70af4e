#include "cli/deep_verify.hpp"
namespace ocx::cli {
Result<publish::VerifyResult> deep_verify(publish::Target&, const report::Report&) {
    return make_error(ErrorKind::internal, "verify --deep: not built yet");
}
}  // namespace ocx::cli
