#include "cli/commands.hpp"
#include "cli/common.hpp"

namespace ocx::cli {

// Placeholder while the command is being built; replaced by the command's implementation.
int cmd_push(const Args&) { return fail(make_error(ErrorKind::internal, "push: not built yet")); }

}  // namespace ocx::cli
